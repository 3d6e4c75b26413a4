/**
 * `sluice worker` processes for tests and benchmarks, run from the TypeScript sources (tsx, the
 * sluice-source condition), plus helpers for the Redis keys a test leaves behind.
 *
 *   const workers = await startWorkers(2, { redisUrl, queue });
 *   ...
 *   await stopWorkers(workers);
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { DistributedExecutor, type DistributedExecutorOptions } from "../../src/executors/distributed/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface WorkerProcess {
  pid: number;
  /** The worker id it printed in its ready line. */
  id: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** Resolves with the exit code (or null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartWorkerOptions {
  redisUrl: string;
  queue: string;
  /** @default 4 */
  concurrency?: number;
  /** Extra CLI flags. @default [] */
  args?: string[];
  /** Extra environment variables. @default {} */
  env?: Record<string, string>;
  /** How long to wait for the ready line. @default 30000 */
  readyTimeoutMs?: number;
}

/** A queue prefix no other test uses. */
export const uniqueQueue = (name: string): string => `t-${name}-${randomBytes(4).toString("hex")}`;

/** Spawns one `sluice worker` and waits for its ready line. */
export function startWorkerProcess(options: StartWorkerOptions): Promise<WorkerProcess> {
  const args = [
    "--conditions=sluice-source",
    "--import",
    "tsx",
    MAIN,
    "worker",
    "--redis",
    options.redisUrl,
    "--queue",
    options.queue,
    "--concurrency",
    String(options.concurrency ?? 4),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, SLUICE__LOGGING__LEVEL: "warn", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  // A test process that crashes must not leave its workers running.
  const reap = (): void => void child.kill("SIGKILL");
  process.once("exit", reap);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      process.off("exit", reap);
      resolve(code);
    }),
  );
  return new Promise<WorkerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sluice worker did not get ready within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`));
    }, options.readyTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const ready = /sluice worker (\S+) ready/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          id: ready[1]!,
          child,
          output: () => output,
          exited,
          stop: async (graceMs = 5000) => {
            if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
            const code = await exited;
            clearTimeout(killer);
            return code;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sluice worker exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Starts `n` workers in parallel. */
export async function startWorkers(n: number, options: StartWorkerOptions): Promise<WorkerProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, () => startWorkerProcess(options)));
  const workers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stopWorkers(workers);
    throw failed.reason;
  }
  return workers;
}

export async function stopWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.stop()));
}

/** Keys under `prefix:` (SCAN), with their time-to-live in ms (-1: none). */
export async function keysOf(redisUrl: string, prefix: string): Promise<Map<string, number>> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const found = new Map<string, number>();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      for (const key of keys) found.set(key, await redis.pttl(key));
    } while (cursor !== "0");
    return found;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix:` (after a test). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const keys = [...(await keysOf(redisUrl, prefix)).keys()];
  if (keys.length === 0) return;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  } finally {
    redis.disconnect();
  }
}

/** A suite's worker pool: its queue, result directory and worker processes, started before and stopped after. */
export interface WorkerPool {
  /** The queue prefix, unique to this suite. */
  readonly queue: string;
  /** The result store's directory. */
  readonly resultDir: string;
  /** The worker processes (the suite may push more; all are stopped after). */
  readonly workers: WorkerProcess[];
  /** A DistributedExecutor on this pool's queue and result store. */
  executor(options?: Partial<DistributedExecutorOptions>): DistributedExecutor;
}

/**
 * Registers before/after hooks on the current suite that start `n` workers on a new queue and, after,
 * stop them, delete the queue's keys and remove the result directory.
 */
export function useWorkerPool(name: string, n: number, options: { redisUrl: string; concurrency: number }): WorkerPool {
  const queue = uniqueQueue(name);
  const resultDir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  const workers: WorkerProcess[] = [];
  before(
    async () => {
      workers.push(...(await startWorkers(n, { redisUrl: options.redisUrl, queue, concurrency: options.concurrency })));
    },
    { timeout: 60_000 },
  );
  after(
    async () => {
      await stopWorkers(workers);
      await deleteKeys(options.redisUrl, queue);
      rmSync(resultDir, { recursive: true, force: true });
    },
    { timeout: 30_000 },
  );
  return {
    queue,
    resultDir,
    workers,
    executor: (executorOptions = {}) => new DistributedExecutor({ redis: options.redisUrl, queuePrefix: queue, resultStore: resultDir, ...executorOptions }),
  };
}
