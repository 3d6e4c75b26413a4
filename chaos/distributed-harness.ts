/**
 * What the distributed scenarios share: a private Redis without persistence, `sluice worker` processes,
 * flow runs of `sleepyFlow` (plan → work.map → tally) observed task by task, and the inventory of what
 * is left behind afterwards.
 *
 * A result "arrives" when the flow run records a task run's Success; each map child must arrive exactly
 * once, and each run must end Success with the count and sum of every child.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunEvent } from "../src/core/events.js";
import { createLogger } from "../src/core/logger.js";
import { DistributedExecutor, type DistributedExecutorOptions } from "../src/executors/distributed/index.js";
import { sleepyFlow } from "../test/support/distributed-flows.js";
import { PrivateRedis, privateRedisUnavailable } from "../test/support/distributed-redis-server.js";
import { keysOf, startWorkerProcess, uniqueQueue, type WorkerProcess } from "../test/support/distributed-workers.js";
import type { ChaosRow } from "./scenario.js";

export { privateRedisUnavailable };

/** Tallies the results a set of flow runs received. */
export class ResultLedger {
  /** `<flow run>/<map index>` → how many Success states arrived for that child. */
  readonly arrivals = new Map<string, number>();
  #count = 0;
  readonly #waiters: { at: number; resolve: () => void }[] = [];

  observer(flowRunId: string) {
    return (event: RunEvent): void => {
      if (event.type !== "task-run-state" || event.taskKey !== "work" || event.mapIndex === null || event.state.name !== "Success") return;
      const key = `${flowRunId}/${event.mapIndex}`;
      this.arrivals.set(key, (this.arrivals.get(key) ?? 0) + 1);
      this.#count++;
      for (const w of this.#waiters.filter((x) => x.at <= this.#count)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    };
  }

  /** Resolves once `n` results (over all runs) arrived. */
  reached(n: number): Promise<void> {
    if (this.#count >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ at: n, resolve }));
  }

  get count(): number {
    return this.#count;
  }
}

export interface DistributedStage {
  redis: PrivateRedis;
  queue: string;
  resultDir: string;
  workers: WorkerProcess[];
  /** Every worker process ever started (killed ones included), to check none is left. */
  started: WorkerProcess[];
  startWorker(redisUrl?: string): Promise<WorkerProcess>;
  /** How many `work` attempts started more than once (a re-run after a kill, a take-over, a recovery). */
  reruns(): number;
  executor(options?: Partial<DistributedExecutorOptions>): DistributedExecutor;
  /** Stops the workers and Redis; returns what was left behind before that (keys, processes, files). */
  tearDown(): Promise<string[]>;
}

/** A private Redis, a queue prefix and a result directory; workers are started by the scenario. */
export async function openStage(name: string, workerConcurrency: number): Promise<DistributedStage> {
  const redis = await PrivateRedis.start();
  const queue = uniqueQueue(name);
  const resultDir = mkdtempSync(join(tmpdir(), `sluice-chaos-${name}-`));
  const traceDir = mkdtempSync(join(tmpdir(), `sluice-chaos-${name}-trace-`));
  const traceFile = join(traceDir, "starts.txt");
  const workers: WorkerProcess[] = [];
  const started: WorkerProcess[] = [];
  const stage: DistributedStage = {
    redis,
    queue,
    resultDir,
    workers,
    started,
    async startWorker(redisUrl = redis.url) {
      const worker = await startWorkerProcess({
        redisUrl,
        queue,
        concurrency: workerConcurrency,
        args: ["--shutdown-grace", "2000"],
        env: { SLUICE_TEST_TRACE_FILE: traceFile },
        readyTimeoutMs: 90_000,
      });
      workers.push(worker);
      started.push(worker);
      return worker;
    },
    reruns() {
      if (!existsSync(traceFile)) return 0;
      const starts = new Map<string, number>();
      for (const line of readFileSync(traceFile, "utf8").split("\n")) if (line) starts.set(line, (starts.get(line) ?? 0) + 1);
      return [...starts.values()].filter((n) => n > 1).length;
    },
    executor: (options = {}) => new DistributedExecutor({ redis: redis.url, queuePrefix: queue, resultStore: resultDir, ...options }),
    async tearDown() {
      const left: string[] = [];
      for (const key of (await keysOf(redis.url, queue).catch(() => new Map<string, number>())).keys()) {
        if (key !== `${queue}:workers`) left.push(`Redis key ${key}`);
      }
      for (const entry of readdirSync(resultDir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) left.push(`result file ${join(entry.parentPath, entry.name)}`);
      }
      await Promise.all(workers.map((w) => w.stop(5000)));
      for (const w of started) {
        if (isAlive(w.pid)) left.push(`process ${w.pid} (sluice worker ${w.id})`);
      }
      await redis.stop();
      if (redis.pid !== undefined && isAlive(redis.pid)) left.push(`process ${redis.pid} (redis-server)`);
      rmSync(resultDir, { recursive: true, force: true });
      rmSync(traceDir, { recursive: true, force: true });
      return left;
    },
  };
  return stage;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "warn" as const };

export interface RunSpec {
  runs: number;
  /** Map children per run. */
  n: number;
  /** How long each child sleeps. */
  ms: number;
  executor: () => DistributedExecutor;
  /** Log records of the flow runs (warnings about recoveries land here). */
  onLog?: (message: string) => void;
}

export interface RunOutcome {
  /** Per run: its final state name and whether its value matched. */
  finals: { flowRunId: string; state: string; message: string | undefined; valueOk: boolean }[];
}

/** Starts `runs` flow runs at once, observed by `ledger`. */
export function startRuns(spec: RunSpec, ledger: ResultLedger, tag: string): Promise<RunOutcome> {
  const runs = Array.from({ length: spec.runs }, async (_, r) => {
    const flowRunId = `${tag}-${r}-${Date.now().toString(36)}`;
    try {
      const result = await sleepyFlow.run({
        ...quiet,
        flowRunId,
        parameters: { n: spec.n, ms: spec.ms },
        executor: spec.executor(),
        observers: [
          ledger.observer(flowRunId),
          (e: RunEvent) => {
            if (e.type === "log" && e.record.level !== "info" && e.record.level !== "debug") spec.onLog?.(e.record.message);
          },
        ],
      });
      const value = result.value as { count: number; sum: number } | undefined;
      const valueOk = value?.count === spec.n && value.sum === (spec.n * (spec.n - 1)) / 2;
      return { flowRunId, state: result.state.name, message: result.state.message, valueOk };
    } catch (error) {
      return { flowRunId, state: "Rejected", message: (error as Error).message, valueOk: false };
    }
  });
  return Promise.all(runs).then((finals) => ({ finals }));
}

/** The row's counts from what the ledger saw and how the runs ended. */
export function countRow(
  fault: string,
  spec: RunSpec,
  ledger: ResultLedger,
  outcome: RunOutcome,
  settle: { settleMs: number; reruns: number; leftBehind: string[]; notes: string[] },
): ChaosRow {
  const { notes } = settle;
  let lost = 0;
  let duplicates = 0;
  for (const { flowRunId } of outcome.finals) {
    for (let i = 0; i < spec.n; i++) {
      const arrived = ledger.arrivals.get(`${flowRunId}/${i}`) ?? 0;
      if (arrived === 0) lost++;
      if (arrived > 1) duplicates++;
    }
  }
  const wrong = outcome.finals.filter((f) => f.state !== "Success" || !f.valueOk);
  for (const f of wrong) notes.push(`run ${f.flowRunId} ended ${f.state}${f.valueOk ? "" : " with a wrong value"}: ${f.message ?? ""}`);
  return {
    fault,
    runs: spec.runs,
    tasks: spec.runs * (spec.n + 2),
    lost,
    duplicates,
    reruns: settle.reruns,
    wrong: wrong.length,
    leftBehind: settle.leftBehind,
    settleMs: settle.settleMs,
    notes,
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
