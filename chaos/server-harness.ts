/**
 * What the server-side scenarios share: a `sluice server start` process on SQLite or PostgreSQL (a schema
 * of its own), local agents (`sluice agent start local`), runs of the `agent-steps` fixture (twelve steps
 * in a row, each logging "step <i>"), and the count of what each run ended with: its final state, its
 * task runs, its log lines. Every process is this scenario's own, found afterwards by its SLUICE__HOME.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient, type SluiceClient } from "../src/client/index.js";
import { FIXTURES, waitFor } from "../test/agents/support.js";
import { runSluice, startSluice, type SluiceProcess } from "../test/e2e/support.js";
import { services } from "../test/support/services.js";
import type { ChaosRow } from "./scenario.js";

export const STEPS = 12;
export const LABEL = "chaos";
export type Database = "sqlite" | "postgres";

export interface ServerStage {
  home: string;
  client: SluiceClient;
  /** The server's address (it keeps its port across restarts). */
  readonly url: string;
  readonly server: SluiceProcess;
  agents: SluiceProcess[];
  /** Starts (or restarts, on the same port and database) the server. */
  startServer(extra?: Record<string, string>): Promise<SluiceProcess>;
  startAgent(name: string): Promise<SluiceProcess>;
  /** Creates `count` runs of agent-steps, each step sleeping `ms`. */
  createRuns(count: number, ms: number): Promise<string[]>;
  /** Stops agents and server; answers what of this stage still runs (processes by their SLUICE__HOME). */
  tearDown(): Promise<string[]>;
}

/** The SLUICE__ variables of every process of the stage. */
function stageEnv(home: string, url: string, databaseUrl: string): Record<string, string> {
  return {
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__SERVER__DATABASE_URL: databaseUrl,
    // A server outage of a few seconds is not a dead run: a realistic heartbeat limit.
    SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "60000",
    SLUICE__SERVER__SERVICE_INTERVAL_MS: "500",
    SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "1000",
    SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "500",
    SLUICE__REPORTER__FLUSH_TIMEOUT_MS: "120000",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "300",
  };
}

/** The processes whose environment names `home` as SLUICE__HOME (this stage's, wherever they came from). */
export function processesOf(home: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      if (!environ.includes(`SLUICE__HOME=${home}`)) continue;
      found.push(`process ${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").slice(0, 160)}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: services.postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    return `PostgreSQL at ${services.postgresUrl} does not answer (${(error as Error).message}); set SLUICE_TEST_POSTGRES_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StageOptions {
  /** Where the stage's PostgreSQL schema lives. @default the shared test PostgreSQL (SLUICE_TEST_POSTGRES_URL) */
  postgresUrl?: string;
  /** The SQLite database file. @default server.db in the stage's home */
  sqliteFile?: string;
}

export async function openServerStage(name: string, database: Database, agentRuns: number, options: StageOptions = {}): Promise<ServerStage> {
  const postgresUrl = options.postgresUrl ?? services.postgresUrl;
  const home = mkdtempSync(join(tmpdir(), `sluice-chaos-${name}-`));
  const schema = `sluice_chaos_${randomBytes(4).toString("hex")}`;
  const databaseUrl =
    database === "sqlite"
      ? `sqlite:${options.sqliteFile ?? join(home, "server.db")}`
      : (() => {
          const url = new URL(postgresUrl);
          url.searchParams.set("schema", schema);
          return url.toString();
        })();
  let url = "http://127.0.0.1:1";
  let port = 0;
  let server: SluiceProcess | undefined;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ ...stageEnv(home, url, databaseUrl), ...extra });
  const stage: ServerStage = {
    home,
    client: createClient({ url, retry: { attempts: 5, baseDelayMs: 100 } }),
    get url() {
      return url;
    },
    get server() {
      if (!server) throw new Error("the stage's server is not started");
      return server;
    },
    agents: [],
    async startServer(extra = {}) {
      const proc = startSluice(["server", "start", "--port", String(port), "--json"], env(extra), 3_600_000);
      const match = await proc.waitFor(/"url": "(http:\/\/127\.0\.0\.1:(\d+))"/, 120_000);
      url = match[1]!;
      port = Number(match[2]);
      stage.client = createClient({ url, retry: { attempts: 5, baseDelayMs: 100 } });
      server = proc;
      return proc;
    },
    async startAgent(agentName) {
      const proc = startSluice(["agent", "start", "local", "--name", agentName, "--label", LABEL, "--max-runs", String(agentRuns)], env(), 3_600_000);
      await proc.waitFor(new RegExp(`Agent ${agentName} \\(local, labels: ${LABEL}\\) polls`), 120_000);
      stage.agents.push(proc);
      return proc;
    },
    async createRuns(count, ms) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push((await stage.client.createFlowRun({ flowName: "agent-steps", parameters: { ms } })).id);
      return ids;
    },
    async tearDown() {
      await Promise.all(stage.agents.map((a) => a.stop("SIGTERM")));
      await server?.stop("SIGTERM");
      // A run's process that reported its end can take some seconds more to exit on a loaded machine.
      const left = await waitFor("the stage's processes to end", () => (processesOf(home).length === 0 ? [] : undefined), 60_000).catch(() =>
        processesOf(home),
      );
      rmSync(home, { recursive: true, force: true });
      if (database === "postgres") {
        const client = new pg.Client({ connectionString: postgresUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
      }
      return left;
    },
  };
  await stage.startServer();
  const registered = await runSluice(["register", FIXTURES, "--flow", "agent-steps", "--label", LABEL, "--json"], env());
  if (registered.code !== 0) throw new Error(`registering agent-steps failed: ${registered.stderr}`);
  return stage;
}

/** Creates `count` runs of agent-steps with steps of `ms`, `parallel` requests at a time. */
export async function createBacklog(client: SluiceClient, count: number, parallel: number, ms = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, () => client.createFlowRun({ flowName: "agent-steps", parameters: { ms } }));
    ids.push(...(await Promise.all(batch)).map((r) => r.id));
  }
  return ids;
}

/** Waits until the runs' task runs in Success add up to `count` (the moment a scenario calls mid-run). */
export async function waitForSteps(client: SluiceClient, ids: readonly string[], count: number): Promise<void> {
  for (;;) {
    const done = await Promise.all(ids.map(async (id) => (await client.listTaskRuns(id, { state: ["Success"], limit: 1000 })).items.length));
    if (done.reduce((a, b) => a + b, 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the runs ended with: the row's counts and a note per problem. */
export interface RunsOutcome {
  tasks: number;
  lost: number;
  duplicates: number;
  wrong: number;
  notes: string[];
}

/** Waits until every run ended (or `timeoutMs`), then counts states, task runs and "step <i>" log lines. */
export async function countRuns(client: SluiceClient, ids: readonly string[], timeoutMs: number): Promise<RunsOutcome> {
  const outcome: RunsOutcome = { tasks: ids.length * STEPS, lost: 0, duplicates: 0, wrong: 0, notes: [] };
  const deadline = Date.now() + timeoutMs;
  for (const id of ids) {
    let run = await client.getFlowRun(id);
    while (!["Success", "Failed", "Cancelled", "TimedOut"].includes(run.state.name) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      run = await client.getFlowRun(id);
    }
    if (run.state.name !== "Success") {
      outcome.wrong++;
      outcome.notes.push(`run ${id} ended ${run.state.name}: ${run.state.message ?? ""}`);
    }
    const taskRuns = (await client.listTaskRuns(id, { limit: 1000 })).items;
    const done = taskRuns.filter((t) => t.state.name === "Success").length;
    if (done < STEPS) {
      outcome.lost += STEPS - done;
      outcome.notes.push(`run ${id}: ${STEPS - done} task runs without their Success`);
    }
    const lines = (await client.readLogs(id, { limit: 5000 })).items.map((l) => l.message);
    for (let i = 0; i < STEPS; i++) {
      const n = lines.filter((m) => m === `step ${i}`).length;
      if (n === 0) {
        outcome.lost++;
        outcome.notes.push(`run ${id}: log line "step ${i}" lost`);
      } else if (n > 1) {
        outcome.duplicates += n - 1;
        outcome.notes.push(`run ${id}: log line "step ${i}" stored ${n} times`);
      }
    }
  }
  return outcome;
}

/** The row of a server-side scenario. */
export function serverRow(fault: string, runs: number, outcome: RunsOutcome, extra: { settleMs: number; leftBehind: string[]; notes: string[] }): ChaosRow {
  return {
    fault,
    runs,
    tasks: outcome.tasks,
    lost: outcome.lost,
    duplicates: outcome.duplicates,
    reruns: 0,
    wrong: outcome.wrong,
    leftBehind: extra.leftBehind,
    settleMs: extra.settleMs,
    notes: [...extra.notes, ...outcome.notes],
  };
}
