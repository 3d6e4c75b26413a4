/**
 * The server workloads of issue 4, each on SQLite and (when it answers) PostgreSQL:
 *
 * - S1 flow runs per minute end to end: a trivial 3-task flow (bench/flows/three-tasks.mjs) created on the
 *   server, claimed by a local agent (4 runs at a time), run by `sluice execute flow-run` child processes
 *   that report every state; baseline: the same number of `sluice run` processes, 4 at a time, no server.
 * - S2 task-run state updates per second the API sustains: 4 clients sending batches of 500 updates
 *   (what the run reporter does); baseline: the same clients sending one update per request. Under that
 *   write load: the p99 of the batch requests, and the p99 of the read paths (run list, a run's task runs,
 *   a run's logs) measured with autocannon, each against the same reads on the idle server.
 * - S3 scheduled-to-running latency of a local agent with the default poll pacing (250 ms after work,
 *   up to 10 s idle): median from the run's Scheduled state to its Running state, and the part from
 *   Submitted to Running (the process start); baseline of the latter: a bare `sluice --version` process.
 *
 * The server runs in this process (the load generators share its CPU); children use the compiled dist/
 * (`npm run bench` builds it first).
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Agent } from "../../src/agents/agent.js";
import { LocalDeployer, SLUICE_BIN } from "../../src/platforms/local/local-agent.js";
import { createClient, type SluiceClient } from "../../src/client/index.js";
import { registrationOf } from "../../src/cli/commands/register.js";
import { inheritedEnv, loadConfig, type SluiceConfig } from "../../src/config/index.js";
import { loadFlows } from "../../src/core/load.js";
import { createLogger } from "../../src/core/logger.js";
import { isFinished } from "../../src/core/states.js";
import { startServer, type RunningServer } from "../../src/server/start.js";
import { LocalStorage } from "../../src/storage/local/index.js";
import { postgresTarget, sqliteTarget, type DatabaseTarget } from "../../test/server/support.js";
import type { Measurement, Workload } from "../types.js";

/** The little of autocannon's result used here (the package ships no types). */
interface CannonResult {
  latency: { p99: number; p50: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}
type Cannon = (options: { url: string; connections: number; duration: number; requests?: { method: string; path: string }[] }) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Cannon;

const FLOW = fileURLToPath(new URL("../flows/three-tasks.mjs", import.meta.url));
const quiet = createLogger({ level: "silent" });
const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const CONCURRENCY = 4;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Children run the compiled CLI without this process's source-tree flags. */
function childEnv(home: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...inheritedEnv(), SLUICE__HOME: home, SLUICE__LOGGING__LEVEL: "warn" };
  delete env.SLUICE_DEV;
  delete env.NODE_OPTIONS;
  return env;
}

interface Bench {
  server: RunningServer;
  client: SluiceClient;
  config: SluiceConfig;
  home: string;
  close(): Promise<void>;
}

async function benchServer(target: DatabaseTarget, env: Record<string, string> = {}): Promise<Bench> {
  const home = await mkdtemp(join(tmpdir(), "sluice-bench-server-"));
  const config = loadConfig({
    file: false,
    env: { SLUICE__HOME: home, SLUICE__SERVER__DATABASE_URL: await target.newDatabaseUrl(), SLUICE__LOGGING__LEVEL: "warn", ...env },
  });
  const server = await startServer({ config, port: 0, logStream: discard });
  const agentConfig = loadConfig({ file: false, env: { SLUICE__HOME: home, SLUICE__API__URL: server.url, SLUICE__LOGGING__LEVEL: "warn", ...env } });
  return {
    server,
    client: createClient({ url: server.url }),
    config: agentConfig,
    home,
    close: async () => {
      await server.close();
      await target.cleanup();
      await rm(home, { recursive: true, force: true });
    },
  };
}

async function registerTrivialFlow(client: SluiceClient): Promise<string> {
  const [flow] = await loadFlows(FLOW);
  const storage = new LocalStorage();
  storage.addFlow(flow!);
  return (await client.registerFlow(registrationOf(flow!, storage))).flowId;
}

async function startAgent(bench: Bench): Promise<Agent> {
  const deployer = new LocalDeployer({ command: [process.execPath, SLUICE_BIN], env: childEnv(bench.home), logDir: join(bench.home, "agent-runs") });
  const agent = new Agent({ deployer, client: bench.client, config: bench.config, logger: quiet });
  await agent.start();
  return agent;
}

async function waitFinished(client: SluiceClient, ids: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} of ${ids.length} flow runs did not finish within ${timeoutMs} ms`);
    for (const id of [...pending]) {
      const run = await client.getFlowRun(id);
      if (!isFinished(run.state.name)) continue;
      if (run.state.name !== "Success") throw new Error(`flow run ${id} ended ${run.state.name}: ${run.state.message ?? ""}`);
      pending.delete(id);
    }
    if (pending.size > 0) await sleep(100);
  }
}

const execSluice = (args: string[], env: Record<string, string | undefined>): Promise<void> =>
  new Promise((resolve, reject) =>
    execFile(process.execPath, [SLUICE_BIN, ...args], { env, timeout: 60_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`sluice ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(),
    ),
  );

async function pool(n: number, concurrency: number, job: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await job();
    }),
  );
}

// ---- S1 ----------------------------------------------------------------------------------------------

async function runsPerMinute(target: DatabaseTarget, label: string, runs = 24): Promise<Measurement> {
  const bench = await benchServer(target, {
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "500",
    SLUICE__AGENT__MAX_CONCURRENT_RUNS: String(CONCURRENCY),
  });
  try {
    const flowId = await registerTrivialFlow(bench.client);
    const agent = await startAgent(bench);
    try {
      await waitFinished(bench.client, [(await bench.client.createFlowRun({ flowId })).id], 60_000); // warm-up
      const started = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < runs; i++) ids.push((await bench.client.createFlowRun({ flowId })).id);
      await waitFinished(bench.client, ids, 10 * 60_000);
      const perMinute = runs / ((performance.now() - started) / 60_000);
      const env = childEnv(bench.home);
      await execSluice(["run", FLOW], env); // warm-up
      const baseStarted = performance.now();
      await pool(runs, CONCURRENCY, () => execSluice(["run", FLOW], env));
      const basePerMinute = runs / ((performance.now() - baseStarted) / 60_000);
      return {
        metric: `S1 flow runs per minute, server + local agent (${label})`,
        unit: "runs/min",
        value: perMinute,
        baseline: basePerMinute,
        baselineName: `${runs} \`sluice run\` processes of the same flow, ${CONCURRENCY} at a time, no server`,
        higherIsBetter: true,
        notes: `${runs} runs of a 3-task flow, ${CONCURRENCY} child processes at a time, every state and log line reported to the server`,
      };
    } finally {
      await agent.stop({ stopRuns: true });
    }
  } finally {
    await bench.close();
  }
}

// ---- S2 ----------------------------------------------------------------------------------------------

async function updatesPerSecond(target: DatabaseTarget, label: string): Promise<Measurement[]> {
  const bench = await benchServer(target);
  try {
    const flowId = await registerTrivialFlow(bench.client);
    const clients = 4;
    const batch = 500;
    const windowMs = 3000;
    const warmUpMs = 1500;
    const runIds = await Promise.all(Array.from({ length: clients }, async () => (await bench.client.createFlowRun({ flowId })).id));
    /**
     * Updates per second, and the CPU time of this process (server and clients) per update in µs, after
     * a warm-up of the same requests (the server's JIT and statement caches settle, as in a long-lived
     * server); `phase` keeps the warm-up's task runs apart from the measured ones.
     */
    const measure = async (send: (runId: string, round: number, phase: string) => Promise<number>): Promise<{ rate: number; cpu: number }> => {
      const window = async (phase: string, ms: number): Promise<{ rate: number; cpu: number }> => {
        let updates = 0;
        const end = performance.now() + ms;
        const started = performance.now();
        const cpu0 = process.cpuUsage();
        await Promise.all(
          runIds.map(async (runId) => {
            for (let round = 0; performance.now() < end; round++) updates += await send(runId, round, phase);
          }),
        );
        const cpu = process.cpuUsage(cpu0);
        return { rate: updates / ((performance.now() - started) / 1000), cpu: (cpu.user + cpu.system) / updates };
      };
      await window("warm", warmUpMs);
      return window("m", windowMs);
    };
    const running = (round: number) => ({ name: "Running" as const, message: `round ${round}`, timestamp: new Date().toISOString() });
    const batched = await measure(async (runId, round) => {
      const state = running(round);
      await bench.client.setTaskRunStates(
        runId,
        Array.from({ length: batch }, (_, i) => ({ taskKey: `t${i}`, state })),
      );
      return batch;
    });
    // As a run reports: each task run goes Running then Success, new task runs keep coming; a batch
    // holds the Running of half its task runs and the Success of the half before.
    const half = batch / 2;
    const reporter = await measure(async (runId, round, phase) => {
      const started = { name: "Running" as const, timestamp: new Date().toISOString() };
      const completed = { name: "Success" as const, timestamp: started.timestamp };
      await bench.client.setTaskRunStates(runId, [
        ...Array.from({ length: half }, (_, i) => ({ taskKey: `${phase}${round}`, mapIndex: i, state: started })),
        ...(round > 0 ? Array.from({ length: half }, (_, i) => ({ taskKey: `${phase}${round - 1}`, mapIndex: i, state: completed })) : []),
      ]);
      return round > 0 ? batch : half;
    });
    const single = await measure(async (runId, round) => {
      await bench.client.setTaskRunState(runId, `s${round % batch}`, -1, running(round));
      return 1;
    });

    // Reads under the batched write load, each against the same reads on the idle server.
    const readRun = runIds[0]!;
    await bench.client.writeLogs(Array.from({ length: 500 }, (_, i) => ({ flowRunId: readRun, level: "info" as const, message: `line ${i}` })));
    const reads = [
      { name: "run list", path: "/api/flow-runs?limit=50" },
      { name: "a run's task runs", path: `/api/flow-runs/${readRun}/task-runs?limit=100` },
      { name: "a run's logs", path: `/api/flow-runs/${readRun}/logs?limit=100` },
    ];
    const cannon = (path: string, seconds: number) => autocannon({ url: `${bench.server.url}${path}`, connections: 2, duration: seconds });
    const idle: CannonResult[] = [];
    for (const read of reads) idle.push(await cannon(read.path, 2));
    const batchLatencies: number[] = [];
    let writing = true;
    const writers = Promise.all(
      runIds.map(async (runId) => {
        for (let round = 0; writing; round++) {
          const t0 = performance.now();
          await bench.client.setTaskRunStates(
            runId,
            Array.from({ length: batch }, (_, i) => ({ taskKey: `t${i}`, state: running(round) })),
          );
          batchLatencies.push(performance.now() - t0);
        }
      }),
    );
    const loaded: CannonResult[] = [];
    try {
      for (const read of reads) loaded.push(await cannon(read.path, 2));
    } finally {
      writing = false;
      await writers;
    }
    const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? NaN;
    const readMeasurements: Measurement[] = reads.map((read, i) => ({
      metric: `S2 read p99 under the batched write load: ${read.name} (${label})`,
      unit: "ms",
      value: loaded[i]!.latency.p99,
      baseline: idle[i]!.latency.p99,
      baselineName: "the same reads on the idle server",
      higherIsBetter: false,
      notes: `GET ${read.path.replace(readRun, ":id")}, autocannon, 2 connections, 2 s; ${Math.round(loaded[i]!.requests.average)} req/s under load (${Math.round(idle[i]!.requests.average)} idle); ${loaded[i]!.non2xx + loaded[i]!.errors} errors/non-2xx`,
    }));
    readMeasurements.unshift({
      metric: `S2 batch request p99 under the write load (${label})`,
      unit: "ms",
      value: p99(batchLatencies),
      baseline: null,
      baselineName: "",
      higherIsBetter: false,
      notes: `${batchLatencies.length} requests of ${batch} updates from ${clients} clients while the reads ran; median ${Math.round(median(batchLatencies))} ms`,
    });
    return [
      {
        metric: `S2 task-run state updates per second the API sustains (${label})`,
        unit: "updates/s",
        value: batched.rate,
        baseline: single.rate,
        baselineName: "the same 4 clients sending one update per request",
        higherIsBetter: true,
        target: "≥ 20,000/s",
        notes:
          `${clients} concurrent clients for ${windowMs / 1000} s each way after ${warmUpMs / 1000} s of the same requests, batches of ${batch} (the run reporter's path), the same ${batch} task runs of each run Running again every round; ` +
          `every update writes the task run and its state history; CPU of this process (server and clients) ${batched.cpu.toFixed(0)} µs per update (${single.cpu.toFixed(0)} one at a time)`,
      },
      {
        metric: `S2 task-run state updates per second, as runs report (${label})`,
        unit: "updates/s",
        value: reporter.rate,
        baseline: single.rate,
        baselineName: "the same 4 clients sending one update per request",
        higherIsBetter: true,
        target: "≥ 20,000/s",
        notes: `batches of ${batch}: ${half} new task runs Running and the ${half} of the batch before Success (each task run created, then changed once); CPU of this process ${reporter.cpu.toFixed(0)} µs per update`,
      },
      ...readMeasurements,
    ];
  } finally {
    await bench.close();
  }
}

// ---- S3 ----------------------------------------------------------------------------------------------

async function launchLatency(target: DatabaseTarget, label: string, runs = 5): Promise<Measurement[]> {
  const bench = await benchServer(target);
  try {
    const flowId = await registerTrivialFlow(bench.client);
    const agent = await startAgent(bench);
    const total: number[] = [];
    const start: number[] = [];
    try {
      for (let i = 0; i < runs + 1; i++) {
        const id = (await bench.client.createFlowRun({ flowId })).id;
        await waitFinished(bench.client, [id], 120_000);
        const states = await bench.client.listFlowRunStates(id);
        const at = (name: string): number => Date.parse(states.find((s) => s.name === name)!.timestamp);
        if (i > 0) {
          total.push(at("Running") - at("Scheduled"));
          start.push(at("Running") - at("Submitted"));
        }
        await sleep(500 + Math.random() * 1500); // arrive at a random point of the idle backoff
      }
    } finally {
      await agent.stop({ stopRuns: true });
    }
    const bare: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      await execSluice(["--version"], childEnv(bench.home));
      if (i > 0) bare.push(performance.now() - t0);
    }
    return [
      {
        metric: `S3 scheduled-to-running latency, local agent (${label})`,
        unit: "ms",
        value: median(total),
        baseline: null,
        baselineName: "",
        higherIsBetter: false,
        notes: `median of ${runs} runs created at random moments of an idle agent with the default pacing (poll 250 ms after work, doubling to 10 s idle): the poll wait dominates; min ${Math.round(Math.min(...total))} ms, max ${Math.round(Math.max(...total))} ms`,
      },
      {
        metric: `S3 submitted-to-running (process start and flow load, ${label})`,
        unit: "ms",
        value: median(start),
        baseline: median(bare),
        baselineName: "a bare `sluice --version` process",
        higherIsBetter: false,
      },
    ];
  } finally {
    await bench.close();
  }
}

const databases: { id: string; label: string; target: () => DatabaseTarget; needs?: "postgres"[] }[] = [
  { id: "SQLITE", label: "SQLite", target: sqliteTarget },
  { id: "PG", label: "PostgreSQL", target: postgresTarget, needs: ["postgres"] },
];

const workloads: Workload[] = databases.flatMap((db) => [
  {
    id: `S1-${db.id}`,
    title: `flow runs per minute end to end (${db.label})`,
    ...(db.needs ? { needs: db.needs } : {}),
    run: async () => [await runsPerMinute(db.target(), db.label)],
  },
  {
    id: `S2-${db.id}`,
    title: `state updates per second, and read latency under them (${db.label})`,
    ...(db.needs ? { needs: db.needs } : {}),
    run: () => updatesPerSecond(db.target(), db.label),
  },
  {
    id: `S3-${db.id}`,
    title: `scheduled-to-running latency (${db.label})`,
    ...(db.needs ? { needs: db.needs } : {}),
    run: () => launchLatency(db.target(), db.label),
  },
]);

export default workloads;
