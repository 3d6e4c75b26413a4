/**
 * The worker tasks of a run's cluster. `start()` runs the first ones; then every `intervalMs` the pool
 * describes its tasks and, when adaptive, reads the queue depth:
 *
 * - a worker task that stopped (OOM, pull error, capacity, exit) is reported with its reason and
 *   replaced, up to `maxWorkerFailures` replacements; past that the pool fails (`failure` resolves);
 * - adaptive: the wanted number is ceil((waiting + active) / concurrency) between min and max; more are
 *   started at once, fewer only after fewer were wanted for `scaleDownDelayMs` (workers not yet live
 *   first, then the newest);
 * - `stop()` stops the loop (the tasks are stopped by the cluster's teardown).
 */
import { randomBytes } from "node:crypto";
import { SluiceError } from "../../../core/errors.js";
import type { EcsApi, EcsTask } from "../ecs-client.js";
import { stoppedTaskFailure } from "../failures.js";
import type { WorkerSizing } from "./options.js";

/** The queue as the pool sees it. */
export interface PoolLoad {
  waiting: number;
  active: number;
  /** Ids of the workers with a recent heartbeat. */
  liveWorkers: readonly string[];
}

export interface WorkerPoolOptions {
  api: EcsApi;
  cluster: string | undefined;
  sizing: WorkerSizing;
  /** Task attempts one worker runs at once. */
  concurrency: number;
  intervalMs: number;
  scaleDownDelayMs: number;
  maxWorkerFailures: number;
  /** Starts one worker task with this id; resolves with its ARN (throws when ECS started none). */
  launch: (workerId: string) => Promise<string>;
  /** Reads the queue (adaptive sizing only). */
  readLoad: () => Promise<PoolLoad>;
  log: (level: "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;
}

interface Worker {
  id: string;
  arn: string;
  startedAt: number;
}

/** Workers wanted for a load: ceil((waiting + active) / concurrency) within [min, max]. */
export function wantedWorkers(load: { waiting: number; active: number }, min: number, max: number, concurrency: number): number {
  const needed = Math.ceil((Math.max(0, load.waiting) + Math.max(0, load.active)) / Math.max(1, concurrency));
  return Math.min(max, Math.max(min, needed));
}

export class WorkerPool {
  readonly #o: WorkerPoolOptions;
  readonly #workers = new Map<string, Worker>();
  /** Every worker task ARN this pool started. */
  readonly started: string[] = [];
  #failures = 0;
  #lowSince: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #fail!: (error: SluiceError) => void;
  /** Resolves (never rejects) once the pool cannot keep the cluster alive. */
  readonly failure: Promise<SluiceError>;
  /** The most workers alive at once. */
  peak = 0;
  /** Each size change, in order (for logs and tests). */
  readonly sizes: number[] = [];

  constructor(options: WorkerPoolOptions) {
    this.#o = options;
    this.failure = new Promise((resolve) => (this.#fail = resolve));
  }

  get size(): number {
    return this.#workers.size;
  }

  async #add(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const id = `w-${randomBytes(4).toString("hex")}`;
      const arn = await this.#o.launch(id);
      this.started.push(arn);
      this.#workers.set(arn, { id, arn, startedAt: Date.now() });
    }
    this.#sized();
  }

  #sized(): void {
    this.peak = Math.max(this.peak, this.#workers.size);
    if (this.sizes.at(-1) !== this.#workers.size) this.sizes.push(this.#workers.size);
  }

  async start(): Promise<void> {
    const first = this.#o.sizing.kind === "fixed" ? this.#o.sizing.workers : this.#o.sizing.min;
    await this.#add(first);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick()
        .catch((error: unknown) => this.#o.log("warn", `cluster: checking the workers failed (retried): ${(error as Error).message}`))
        .finally(() => this.#schedule());
    }, this.#o.intervalMs);
  }

  async #tick(): Promise<void> {
    await this.#replaceStopped();
    if (this.#stopped || this.#o.sizing.kind !== "adaptive") return;
    const load = await this.#o.readLoad();
    const wanted = wantedWorkers(load, this.#o.sizing.min, this.#o.sizing.max, this.#o.concurrency);
    const current = this.#workers.size;
    if (wanted > current) {
      this.#lowSince = null;
      this.#o.log("info", `cluster: ${load.waiting} waiting, ${load.active} running: ${current} → ${wanted} workers`);
      await this.#add(wanted - current);
    } else if (wanted < current) {
      this.#lowSince ??= Date.now();
      if (Date.now() - this.#lowSince < this.#o.scaleDownDelayMs) return;
      const live = new Set(load.liveWorkers);
      const order = [...this.#workers.values()].sort((a, b) => Number(live.has(a.id)) - Number(live.has(b.id)) || b.startedAt - a.startedAt);
      this.#o.log("info", `cluster: ${load.waiting} waiting, ${load.active} running: ${current} → ${wanted} workers`);
      for (const worker of order.slice(0, current - wanted)) {
        this.#workers.delete(worker.arn);
        await this.#o.api.stopTask(this.#o.cluster, worker.arn, "Sluice: the cluster scaled down");
      }
      this.#lowSince = null;
      this.#sized();
    } else this.#lowSince = null;
  }

  async #replaceStopped(): Promise<void> {
    for (const worker of [...this.#workers.values()]) {
      const task: EcsTask | undefined = await this.#o.api.describeTask(this.#o.cluster, worker.arn);
      if (task?.lastStatus !== "STOPPED" || this.#stopped) continue;
      this.#workers.delete(worker.arn);
      const failure = stoppedTaskFailure(task);
      const why = failure ? `${failure.reason}: ${failure.message}. ${failure.hint}` : `it stopped: ${task.stoppedReason ?? "no reason given"}`;
      this.#failures++;
      if (this.#failures > this.#o.maxWorkerFailures) {
        this.#o.log(
          "error",
          `cluster: worker ${worker.id} (${worker.arn}) ended (${why}); ${this.#o.maxWorkerFailures} replacements were allowed, none is left`,
        );
        this.#fail(
          new SluiceError(
            "ENVIRONMENT_ERROR",
            `CloudClusterEnvironment: more than ${this.#o.maxWorkerFailures} worker tasks ended before the run did; the last: ${why}`,
            {
              field: "maxWorkerFailures",
              kind: "cloud-cluster",
            },
          ),
        );
        this.#sized();
        continue;
      }
      this.#o.log(
        "warn",
        `cluster: worker ${worker.id} (${worker.arn}) ended (${why}); starting a replacement (${this.#failures} of ${this.#o.maxWorkerFailures})`,
      );
      await this.#add(1);
    }
  }

  /** Ends the loop and waits for a check in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
  }
}
