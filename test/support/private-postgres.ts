/**
 * A PostgreSQL of a test's own: initdb into a temporary directory, started with pg_ctl on a free port
 * (never the shared test instance), so a test may stop and start it. Needs PostgreSQL's programs
 * (/usr/lib/postgresql/<version>/bin); as root, they run as the postgres user.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./distributed-redis-server.js";

const run = promisify(execFile);

/** The newest PostgreSQL's programs directory (/usr/lib/postgresql/<version>/bin), or null. */
export function postgresBin(): string | null {
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

/** A PostgreSQL cluster of its own: its own data directory, port and socket directory. */
export class PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  readonly #bin: string;

  private constructor(bin: string, dir: string, port: number) {
    this.#bin = bin;
    this.dir = dir;
    this.port = port;
  }

  static async start(bin: string): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), "sluice-private-pg-"));
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
export function postgresProcessesOf(dir: string): string[] {
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

/** Why a private PostgreSQL cannot run here, or null. */
export async function privatePostgresUnavailable(): Promise<string | null> {
  if (postgresBin() === null) return "PostgreSQL's programs are not under /usr/lib/postgresql/*/bin (apt-get install --no-install-recommends postgresql)";
  if (process.getuid?.() === 0) {
    try {
      await run("id", ["-u", "postgres"]);
    } catch {
      return "running as root, and there is no postgres user to own a private cluster";
    }
  }
  return null;
}
