/**
 * PostgreSQL restarted under a running server: a PostgreSQL of the scenario's own (initdb into a temporary
 * directory, started on a free port; never the shared test instance) is stopped in fast mode when a quarter
 * of all steps are done and started again after a pause. Meanwhile the server's requests fail (pooled
 * connections die with the restart); the runs' reporters and the agent try again, and the server takes new
 * connections once PostgreSQL answers. Every run must end Success with its twelve task runs and each of its
 * log lines stored exactly once.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../test/support/distributed-redis-server.js";
import { countRuns, openServerStage, serverRow, STEPS, waitForSteps } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

const run = promisify(execFile);

/** The newest PostgreSQL's programs directory (/usr/lib/postgresql/<version>/bin), or null. */
function postgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  return newest === undefined ? null : join(root, newest, "bin");
}

/** initdb and postgres refuse to run as root: as root, they run as the postgres user. */
function asOwner(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", program, ...args]] : [program, args];
}

/** A PostgreSQL cluster of this scenario: its own data directory, port and socket directory. */
class PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  readonly #bin: string;

  private constructor(bin: string, dir: string, port: number) {
    this.#bin = bin;
    this.dir = dir;
    this.port = port;
  }

  static async start(bin: string): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), "sluice-chaos-pg-"));
    if (process.getuid?.() === 0) chownSync(dir, Number((await run("id", ["-u", "postgres"])).stdout), Number((await run("id", ["-g", "postgres"])).stdout));
    const cluster = new PrivatePostgres(bin, dir, await freePort());
    await cluster.#exec("initdb", ["-D", join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    await cluster.startServer();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async #exec(program: string, args: string[]): Promise<void> {
    const [file, argv] = asOwner(join(this.#bin, program), args);
    try {
      await run(file, argv, { timeout: 60_000 });
    } catch (error) {
      const failure = error as Error & { stderr?: string };
      throw new Error(`${program} ${args.join(" ")} failed: ${failure.stderr ?? failure.message}`);
    }
  }

  /** Starts PostgreSQL and waits until it accepts connections. */
  async startServer(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=100`;
    await this.#exec("pg_ctl", ["-D", join(this.dir, "data"), "-l", join(this.dir, "postgres.log"), "-w", "-t", "60", "-o", options, "start"]);
  }

  /** Stops PostgreSQL: `fast` disconnects every client and rolls back their open transactions. */
  async stopServer(mode: "fast" | "immediate"): Promise<void> {
    await this.#exec("pg_ctl", ["-D", join(this.dir, "data"), "-m", mode, "-w", "-t", "60", "stop"]);
  }

  /** Stops the cluster (if it runs) and removes its directory. */
  async destroy(): Promise<void> {
    await this.stopServer("immediate").catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The PostgreSQL processes still running on the cluster's data directory (none once it was stopped). */
function postgresProcessesOf(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (cmdline.includes(dir) && !cmdline.includes("pg_ctl")) found.push(`process ${pid}: ${cmdline.slice(0, 160)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The server's connections to PostgreSQL now (new ones after the restart prove it reconnected). */
async function backends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

export const postgresRestart: ChaosScenario = {
  name: "postgres-restart",
  async unavailable() {
    if (postgresBin() === null) return "PostgreSQL's programs are not under /usr/lib/postgresql/*/bin (apt-get install --no-install-recommends postgresql)";
    if (process.getuid?.() === 0) {
      try {
        await run("id", ["-u", "postgres"]);
      } catch {
        return "running as root, and there is no postgres user to own the scenario's cluster";
      }
    }
    return null;
  },
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const runs = full ? 20 : 4;
    const downMs = full ? 5000 : 2000;
    const cluster = await PrivatePostgres.start(postgresBin()!);
    ctx.log(`PostgreSQL of the scenario on 127.0.0.1:${cluster.port}`);
    try {
      const stage = await openServerStage("postgres-restart", "postgres", runs, { postgresUrl: cluster.url });
      let stopping = false;
      let died: string | undefined;
      try {
        await stage.startAgent("chaos-agent");
        const ids = await stage.createRuns(runs, 300);
        await waitForSteps(stage.client, ids, Math.ceil((runs * STEPS) / 4));
        const server = stage.server;
        void server.done.then((result) => {
          if (stopping) return;
          died = `the server exited (${result.code ?? result.signal}) with PostgreSQL restarted: ${result.stderr.slice(-6000)}`;
          ctx.log(died);
        });
        const faultAt = Date.now();
        ctx.log(`stopping PostgreSQL (fast) for ${downMs} ms`);
        await cluster.stopServer("fast");
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await cluster.startServer();
        ctx.log("PostgreSQL started again");
        const outcome = await countRuns(stage.client, ids, 240_000);
        const settleMs = Date.now() - faultAt;
        const notes: string[] = died === undefined ? [] : [died];
        const output = `${stage.server.stdout}${stage.server.stderr}`;
        const leads = output.split("this server now runs the services").length - 1;
        const failed = output.split('"msg":"request failed"').length - 1;
        notes.push(`the server took the services ${leads} times (once at start, once after the restart) and answered ${failed} requests with a 5xx`);
        notes.push(`the server held ${await backends(cluster.url)} connections after the restart; PostgreSQL was down ${downMs} ms`);
        stopping = true;
        const leftBehind = await stage.tearDown();
        await cluster.destroy();
        leftBehind.push(...postgresProcessesOf(cluster.dir));
        return serverRow(`PostgreSQL restarted mid-run (down ${downMs / 1000} s)`, runs, outcome, {
          settleMs,
          leftBehind,
          notes,
        });
      } catch (error) {
        stopping = true;
        await stage.tearDown().catch(() => undefined);
        throw error;
      }
    } finally {
      await cluster.destroy();
    }
  },
};
