/**
 * Workloads of the distributed executor (issue 6), against the Redis at REDIS_URL (default 127.0.0.1:6379):
 *
 * - D1 10,000 no-op tasks (one mapped task) over 2 `sluice worker` processes at concurrency 1, 8 and 16
 *      per worker, in tasks per second, run inside this process with warm workers; baseline: raw BullMQ
 *      in the same run: 10,000 empty jobs added with addBulk and processed by 2 worker processes with the
 *      same concurrency (done when the queue holds no waiting or active job).
 * - D1P the same as whole processes, first run included: a `sluice run --executor distributed` process
 *      (the built CLI) against a `node` process that adds the 10,000 raw jobs and waits for them; the
 *      workers of both are started before the timing.
 * - D2 20 ms CPU-bound tasks on 2 workers against 1 worker (concurrency 1 each): the scaling factor.
 *
 * Workers are started (and the flow module loaded in them) before the timing starts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { z } from "zod";
import { flow } from "../../src/core/flow.js";
import { createLogger } from "../../src/core/logger.js";
import { task } from "../../src/core/task.js";
import { DistributedExecutor } from "../../src/executors/distributed/index.js";
import { deleteKeys, startWorkers, stopWorkers, uniqueQueue, type WorkerProcess } from "../../test/support/distributed-workers.js";
import { services } from "../../test/support/services.js";
import type { Measurement, Workload } from "../types.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const quiet = { logger: createLogger({ level: "silent" }), logLevel: "silent" as const };
const N = 10_000;
const NOOP_CONCURRENCIES = [1, 8, 16];
const CPU_TASKS = 120;
const ROUNDS = 3;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- CPU time -------------------------------------------------------------------------------------

/** CPU time (user + system) of another process in µs, from /proc (Linux); null where there is none. */
function processCpu(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6; // utime, stime in clock ticks (100 per second)
  } catch {
    return null;
  }
}

/** Redis's own CPU time in µs (INFO cpu). The server may serve others at the same time: read it on a quiet machine. */
async function redisCpu(): Promise<number> {
  const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info("cpu");
    const read = (key: string): number => Number(new RegExp(`${key}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
    return (read("used_cpu_sys") + read("used_cpu_user")) * 1e6;
  } finally {
    redis.disconnect();
  }
}

/** CPU time of the workers (by pid) and of Redis in µs, from now until the returned function is called. */
async function cpuMeter(pids: readonly number[]): Promise<() => Promise<{ workers: number | null; redis: number }>> {
  const workers0 = pids.map(processCpu);
  const redis0 = await redisCpu();
  return async () => {
    const workers = pids.map(processCpu);
    const used = workers.every((w, i) => w !== null && workers0[i] !== null) ? workers.reduce((sum, w, i) => sum! + w! - workers0[i]!, 0) : null;
    return { workers: used, redis: (await redisCpu()) - redis0 };
  };
}

/** One timed run: tasks per second, and CPU µs per task of the driver, the workers and Redis (null off Linux). */
interface Rate {
  rate: number;
  cpu: { driver: number; workers: number; redis: number } | null;
}

const perTask = (driver: number, used: { workers: number | null; redis: number }, tasks: number): Rate["cpu"] =>
  used.workers === null ? null : { driver: driver / tasks, workers: used.workers / tasks, redis: used.redis / tasks };

const cpuTotal = (cpu: Rate["cpu"]): number => (cpu ? cpu.driver + cpu.workers + cpu.redis : NaN);

// ---- flows (module scope, so workers load them by path) -------------------------------------------

const range = task("range", async (n: number) => Array.from({ length: n }, (_, i) => i));
const noop = task("noop", async (x: number) => x);
const count = task("count", async (xs: number[]) => xs.length);
/** range → noop.map → count */
export const noopMap = flow("bench-dist-noop", { parameters: z.object({ n: z.number() }) }, (p) => count(noop.map(range(p.n))));

const spin = task("spin", async (ms: number) => {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x > 0;
});
const ms20 = task("twenties", async (n: number) => Array.from({ length: n }, () => 20));
/** n tasks each spinning the CPU for 20 ms */
export const cpuMap = flow("bench-dist-cpu", { parameters: z.object({ n: z.number() }) }, (p) => spin.map(ms20(p.n)));

// ---- Sluice ----------------------------------------------------------------------------------------

async function withWorkers<T>(count: number, concurrency: number, body: (queue: string, workers: WorkerProcess[]) => Promise<T>): Promise<T> {
  const queue = uniqueQueue("bench");
  const workers = await startWorkers(count, { redisUrl: services.redisUrl, queue, concurrency });
  try {
    return await body(queue, workers);
  } finally {
    await stopWorkers(workers);
    await deleteKeys(services.redisUrl, queue);
  }
}

/** One timed run of `f` (after a small warm-up run that loads the module in the workers). */
async function sluiceRate(
  queue: string,
  run: (executor: DistributedExecutor) => Promise<{ state: { name: string; message?: string } }>,
  tasks: number,
  warm: () => Promise<unknown>,
  workers: readonly WorkerProcess[] = [],
): Promise<Rate> {
  await warm();
  // Every task may be queued at once, as the raw baseline adds all its jobs up front.
  const executor = new DistributedExecutor({ redis: services.redisUrl, queuePrefix: queue, maxInFlight: Math.max(1000, tasks + 2) });
  const meter = await cpuMeter(workers.map((w) => w.pid));
  const driver0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await run(executor);
  const seconds = (performance.now() - t0) / 1000;
  const driver = process.cpuUsage(driver0);
  const used = await meter();
  if (result.state.name !== "Success") throw new Error(`the benchmark run ended ${result.state.name}: ${result.state.message}`);
  return { rate: tasks / seconds, cpu: perTask(driver.user + driver.system, used, tasks) };
}

// ---- raw BullMQ baseline ---------------------------------------------------------------------------

const RAW_WORKER = `
import { Worker } from "bullmq";
const [queue, prefix, concurrency] = process.argv.slice(1);
const worker = new Worker(queue, async () => undefined, { connection: { url: process.env.REDIS_URL, maxRetriesPerRequest: null }, prefix, concurrency: Number(concurrency), removeOnComplete: { count: 0 } });
await worker.waitUntilReady();
process.stdout.write("ready\\n");
process.on("SIGTERM", async () => { await worker.close(); process.exit(0); });
`;

function startRawWorker(queue: string, prefix: string, concurrency: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", RAW_WORKER, queue, prefix, String(concurrency)], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL: services.redisUrl },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`raw BullMQ worker exited with ${code}`)));
  });
}

/** Adds `jobs` empty jobs with addBulk and waits until none waits or runs; the producer of the raw baseline. */
const RAW_PRODUCER = `
import { Queue } from "bullmq";
const [name, prefix, jobs] = process.argv.slice(1);
const n = Number(jobs);
const queue = new Queue(name, { connection: { url: process.env.REDIS_URL, maxRetriesPerRequest: null }, prefix });
await queue.waitUntilReady();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i += 1000) {
  await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: "noop", data: { x: i + j }, opts: { removeOnComplete: true } })));
}
// Done when no job waits or runs (completed jobs are removed). Polled every 10 ms: counting completions
// with QueueEvents can miss some, as BullMQ trims its events stream.
for (;;) {
  const counts = await queue.getJobCounts("wait", "active", "delayed", "prioritized");
  if (Object.values(counts).every((c) => c === 0)) break;
  if (performance.now() - t0 > 120000) throw new Error("raw BullMQ: jobs left after 120 s: " + JSON.stringify(counts));
  await new Promise((r) => setTimeout(r, 10));
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, cpu: cpu.user + cpu.system }) + "\\n");
await queue.obliterate({ force: true });
await queue.close();
`;

/** Runs `node <args>` in the repository root; resolves with its wall time in ms (rejects on a non-zero exit). */
function timedProcess(args: string[], env: Record<string, string>): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve({ ms, stdout });
      else reject(new Error(`node ${args.slice(0, 3).join(" ")} … exited with ${code}:\n${stderr}`));
    });
  });
}

/** Raw BullMQ with 2 worker processes; `whole`: the producer is a process of its own, timed from its spawn. */
async function rawBullmqRate(workers: number, concurrency: number, jobs: number, whole = false): Promise<Rate> {
  const prefix = uniqueQueue("raw");
  const name = "raw";
  const children = await Promise.all(Array.from({ length: workers }, () => startRawWorker(name, prefix, concurrency)));
  try {
    const meter = await cpuMeter(children.map((c) => c.pid!));
    const run = await timedProcess(["--input-type=module", "-e", RAW_PRODUCER, name, prefix, String(jobs)], { REDIS_URL: services.redisUrl });
    const used = await meter();
    const printed = JSON.parse(run.stdout) as { ms: number; cpu: number };
    const ms = whole ? run.ms : printed.ms;
    return { rate: jobs / (ms / 1000), cpu: perTask(printed.cpu, used, jobs) };
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await deleteKeys(services.redisUrl, prefix);
  }
}

/** A flow module for `sluice run` processes: range(N) → noop.map → count, importing the package by name. */
const COLD_FLOW = `
import { flow, task } from "sluice";
const range = task("range", async (n) => Array.from({ length: n }, (_, i) => i));
const noop = task("noop", async (x) => x);
const count = task("count", async (xs) => xs.length);
export const noopMapCold = flow("bench-dist-noop-cold", () => count(noop.map(range(${N}))));
`;

// ---- workloads -------------------------------------------------------------------------------------

const workloads: Workload[] = [
  {
    id: "D1",
    title: `${N.toLocaleString("en")} no-op tasks over 2 distributed workers, at concurrency ${NOOP_CONCURRENCIES.join(", ")}`,
    needs: ["redis"],
    async run(): Promise<Measurement[]> {
      const rows: Measurement[] = [];
      for (const concurrency of NOOP_CONCURRENCIES) {
        // Sluice and raw BullMQ alternate, ROUNDS times each, and the medians are compared: the machine's load
        // changes between runs, and interleaving spreads it over both.
        const sluiceRuns: Rate[] = [];
        const rawRuns: Rate[] = [];
        await withWorkers(2, concurrency, async (queue, workers) => {
          const warm = (): Promise<unknown> =>
            noopMap.run({ ...quiet, parameters: { n: 200 }, executor: new DistributedExecutor({ redis: services.redisUrl, queuePrefix: queue }) });
          for (let round = 0; round < ROUNDS; round++) {
            rawRuns.push(await rawBullmqRate(2, concurrency, N));
            sluiceRuns.push(await sluiceRate(queue, (executor) => noopMap.run({ ...quiet, parameters: { n: N }, executor }), N, warm, workers));
          }
        });
        const sluiceRates = sluiceRuns.map((r) => r.rate);
        const rawRates = rawRuns.map((r) => r.rate);
        const cpuOf = (runs: Rate[]) => runs.reduce<Rate["cpu"]>((best, r) => (r.cpu && (!best || cpuTotal(r.cpu) < cpuTotal(best)) ? r.cpu : best), null);
        const sluiceCpu = cpuOf(sluiceRuns);
        const rawCpu = cpuOf(rawRuns);
        const split = (c: NonNullable<Rate["cpu"]>): string => `driver ${c.driver.toFixed(0)}, workers ${c.workers.toFixed(0)}, Redis ${c.redis.toFixed(0)}`;
        if (sluiceCpu && rawCpu)
          rows.push({
            metric: `D1 CPU per task, 2 workers × concurrency ${concurrency} (driver + workers + Redis)`,
            unit: "µs",
            value: cpuTotal(sluiceCpu),
            baseline: cpuTotal(rawCpu),
            baselineName: "raw BullMQ: the producer process, the 2 workers and Redis",
            higherIsBetter: false,
            target: "≤ 1.2x raw BullMQ",
            notes: `least of ${ROUNDS} runs each; Sluice ${split(sluiceCpu)}; raw ${split(rawCpu)} µs per task; Redis is read with INFO cpu and counts whatever else it serves meanwhile`,
          });
        rows.push({
          metric: `D1 ${N.toLocaleString("en")} no-op tasks, 2 workers × concurrency ${concurrency}, in this process (warm)`,
          unit: "tasks/s",
          value: median(sluiceRates),
          baseline: median(rawRates),
          baselineName: `raw BullMQ: ${N.toLocaleString("en")} empty jobs (addBulk), 2 worker processes × concurrency ${concurrency}`,
          higherIsBetter: true,
          target: "≥ 0.9x raw BullMQ",
          notes: `median of ${ROUNDS} interleaved runs each; Sluice ${sluiceRates.map((r) => r.toFixed(0)).join(", ")}; raw ${rawRates.map((r) => r.toFixed(0)).join(", ")} tasks/s`,
        });
      }
      return rows;
    },
  },
  {
    id: "D1P",
    title: `${N.toLocaleString("en")} no-op tasks over 2 distributed workers, as whole processes (first run included)`,
    needs: ["redis"],
    async run(): Promise<Measurement[]> {
      const cli = join(ROOT, "bin/sluice.js");
      const built = existsSync(join(ROOT, "dist/index.js"));
      await mkdir(join(ROOT, ".sluice-test"), { recursive: true });
      const dir = await mkdtemp(join(ROOT, ".sluice-test", "d1p-"));
      const flowFile = join(dir, "noop-map.mjs");
      await writeFile(flowFile, COLD_FLOW);
      const rows: Measurement[] = [];
      try {
        for (const concurrency of NOOP_CONCURRENCIES) {
          const sluiceRates: number[] = [];
          const rawRates: number[] = [];
          await withWorkers(2, concurrency, async (queue) => {
            for (let round = 0; round < ROUNDS; round++) {
              rawRates.push((await rawBullmqRate(2, concurrency, N, true)).rate);
              const run = await timedProcess(
                built
                  ? [cli, "run", flowFile, "--executor", "distributed", "--json"]
                  : ["--conditions=sluice-source", "--import", "tsx", cli, "run", flowFile, "--executor", "distributed", "--json"],
                {
                  SLUICE__EXECUTOR__REDIS_URL: services.redisUrl,
                  SLUICE__EXECUTOR__QUEUE_PREFIX: queue,
                  SLUICE__LOGGING__LEVEL: "warn",
                },
              );
              sluiceRates.push(N / (run.ms / 1000));
            }
          });
          rows.push({
            metric: `D1P ${N.toLocaleString("en")} no-op tasks, 2 workers × concurrency ${concurrency}, whole processes`,
            unit: "tasks/s",
            value: median(sluiceRates),
            baseline: median(rawRates),
            baselineName: `a node process adding ${N.toLocaleString("en")} raw BullMQ jobs and waiting for them (2 worker processes × concurrency ${concurrency})`,
            higherIsBetter: true,
            target: "≥ 0.9x raw BullMQ",
            notes: `${built ? "built CLI (dist/)" : "NO dist/: the CLI ran from source through tsx (run `npm run build`)"}; default executor options (maxInFlight 1000); process wall time from spawn to exit, workers started before; median of ${ROUNDS}; Sluice ${sluiceRates.map((r) => r.toFixed(0)).join(", ")}; raw ${rawRates.map((r) => r.toFixed(0)).join(", ")} tasks/s`,
          });
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      return rows;
    },
  },
  {
    id: "D2",
    title: "20 ms CPU-bound tasks: 2 workers against 1",
    needs: ["redis"],
    async run(): Promise<Measurement[]> {
      // One worker on one queue, two on another; runs alternate between them, ROUNDS times each.
      const ones: number[] = [];
      const twos: number[] = [];
      await withWorkers(1, 1, (single) =>
        withWorkers(2, 1, async (pair) => {
          const warm = (queue: string) => (): Promise<unknown> =>
            cpuMap.run({ ...quiet, parameters: { n: 4 }, executor: new DistributedExecutor({ redis: services.redisUrl, queuePrefix: queue }) });
          for (let round = 0; round < ROUNDS; round++) {
            ones.push((await sluiceRate(single, (executor) => cpuMap.run({ ...quiet, parameters: { n: CPU_TASKS }, executor }), CPU_TASKS, warm(single))).rate);
            twos.push((await sluiceRate(pair, (executor) => cpuMap.run({ ...quiet, parameters: { n: CPU_TASKS }, executor }), CPU_TASKS, warm(pair))).rate);
          }
        }),
      );
      const one = median(ones);
      const two = median(twos);
      return [
        {
          metric: `D2 ${CPU_TASKS} tasks of 20 ms CPU, 2 workers (concurrency 1 each)`,
          unit: "tasks/s",
          value: two,
          baseline: one,
          baselineName: "the same flow on 1 worker",
          higherIsBetter: true,
          target: "≥ 1.6x 1 worker",
          notes: `median of ${ROUNDS} interleaved runs each (1 worker: ${ones.map((r) => r.toFixed(1)).join(", ")}; 2 workers: ${twos.map((r) => r.toFixed(1)).join(", ")} tasks/s); an ideal 2-core machine gives 2x, and here the flow run's process, Redis and the workers share its cores`,
        },
      ];
    },
  },
];

export default workloads;
