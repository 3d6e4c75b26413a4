/**
 * Workloads of the distributed executor (issue 6), against the Redis at REDIS_URL (default 127.0.0.1:6379):
 *
 * - D1 10,000 no-op tasks (one mapped task) over 2 `sluice worker` processes, in tasks per second;
 *      baseline: raw BullMQ in the same run: 10,000 empty jobs added with addBulk and processed by 2 worker
 *      processes with the same concurrency (done when the queue holds no waiting or active job).
 * - D2 20 ms CPU-bound tasks on 2 workers against 1 worker (concurrency 1 each): the scaling factor.
 *
 * Workers are started (and the flow module loaded in them) before the timing starts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
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
const NOOP_CONCURRENCY = 16;
const CPU_TASKS = 120;
const ROUNDS = 3;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

/** Tasks per second of one timed run of `f` (after a small warm-up run that loads the module in the workers). */
async function sluiceRate(queue: string, run: (executor: DistributedExecutor) => Promise<{ state: { name: string; message?: string } }>, tasks: number, warm: () => Promise<unknown>): Promise<number> {
  await warm();
  // Every task may be queued at once, as the raw baseline adds all its jobs up front.
  const executor = new DistributedExecutor({ redis: services.redisUrl, queuePrefix: queue, maxInFlight: Math.max(1000, tasks + 2) });
  const t0 = performance.now();
  const result = await run(executor);
  const seconds = (performance.now() - t0) / 1000;
  if (result.state.name !== "Success") throw new Error(`the benchmark run ended ${result.state.name}: ${result.state.message}`);
  return tasks / seconds;
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

async function rawBullmqRate(workers: number, concurrency: number, jobs: number): Promise<number> {
  const { Queue } = await import("bullmq");
  const prefix = uniqueQueue("raw");
  const name = "raw";
  const children = await Promise.all(Array.from({ length: workers }, () => startRawWorker(name, prefix, concurrency)));
  const queue = new Queue(name, { connection: { url: services.redisUrl, maxRetriesPerRequest: null }, prefix });
  try {
    await queue.waitUntilReady();
    const t0 = performance.now();
    for (let i = 0; i < jobs; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, jobs - i) }, (_, j) => ({ name: "noop", data: { x: i + j }, opts: { removeOnComplete: true } })));
    }
    // Done when no job waits or runs (completed jobs are removed). Polled every 10 ms: counting
    // completions with QueueEvents can miss some, as BullMQ trims its events stream.
    for (;;) {
      const counts = await queue.getJobCounts("wait", "active", "delayed", "prioritized");
      if (Object.values(counts).every((n) => n === 0)) break;
      if (performance.now() - t0 > 120_000) throw new Error(`raw BullMQ: jobs left after 120 s: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return jobs / ((performance.now() - t0) / 1000);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await deleteKeys(services.redisUrl, prefix);
  }
}

// ---- workloads -------------------------------------------------------------------------------------

const workloads: Workload[] = [
  {
    id: "D1",
    title: `${N.toLocaleString("en")} no-op tasks over 2 distributed workers`,
    needs: ["redis"],
    async run(): Promise<Measurement[]> {
      // Sluice and raw BullMQ alternate, ROUNDS times each, and the medians are compared: the machine's load
      // changes between runs, and interleaving spreads it over both.
      const sluiceRates: number[] = [];
      const rawRates: number[] = [];
      await withWorkers(2, NOOP_CONCURRENCY, async (queue) => {
        const warm = (): Promise<unknown> =>
          noopMap.run({ ...quiet, parameters: { n: 200 }, executor: new DistributedExecutor({ redis: services.redisUrl, queuePrefix: queue }) });
        for (let round = 0; round < ROUNDS; round++) {
          rawRates.push(await rawBullmqRate(2, NOOP_CONCURRENCY, N));
          sluiceRates.push(await sluiceRate(queue, (executor) => noopMap.run({ ...quiet, parameters: { n: N }, executor }), N, warm));
        }
      });
      const sluice = median(sluiceRates);
      const raw = median(rawRates);
      return [
        {
          metric: `D1 ${N.toLocaleString("en")} no-op tasks, 2 workers × concurrency ${NOOP_CONCURRENCY}`,
          unit: "tasks/s",
          value: sluice,
          baseline: raw,
          baselineName: `raw BullMQ: ${N.toLocaleString("en")} empty jobs (addBulk), 2 worker processes × concurrency ${NOOP_CONCURRENCY}`,
          higherIsBetter: true,
          target: "≥ 0.6x raw BullMQ",
          notes: `median of ${ROUNDS} interleaved runs each; Sluice ${sluiceRates.map((r) => r.toFixed(0)).join(", ")}; raw ${rawRates.map((r) => r.toFixed(0)).join(", ")} tasks/s`,
        },
      ];
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
            ones.push(await sluiceRate(single, (executor) => cpuMap.run({ ...quiet, parameters: { n: CPU_TASKS }, executor }), CPU_TASKS, warm(single)));
            twos.push(await sluiceRate(pair, (executor) => cpuMap.run({ ...quiet, parameters: { n: CPU_TASKS }, executor }), CPU_TASKS, warm(pair)));
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
