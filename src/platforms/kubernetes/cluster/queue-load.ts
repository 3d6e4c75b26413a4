/**
 * What the scaler reads from the broker: how many task attempts of the run wait and run, which workers
 * are alive (recent heartbeat) and which of them are running a task (never removed on scale-down).
 * The cluster's queue prefix is its own, so everything seen here belongs to this run.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { inspectQueue } from "../../../executors/distributed/inspect.js";
import { pinnedQueue, runKeys, runTag } from "../../../executors/distributed/keys.js";
import type { QueueLoad } from "./scaling-policy.js";

export interface ClusterLoad extends QueueLoad {
  /** Ids of the workers with a recent heartbeat. */
  liveWorkers: string[];
  /** Ids of the workers running at least one task attempt of the run. */
  busyWorkers: string[];
}

/** Reads the load of one run's queue prefix; keeps BullMQ queue handles between reads (close() releases them). */
export class QueueLoadReader {
  readonly #conn: Redis;
  readonly #prefix: string;
  readonly #tag: string;
  readonly #queues = new Map<string, Queue>();
  #QueueClass: typeof Queue | undefined;

  constructor(conn: Redis, queuePrefix: string, flowRunId: string) {
    this.#conn = conn;
    this.#prefix = queuePrefix;
    this.#tag = runTag(flowRunId);
  }

  async #queue(name: string): Promise<Queue> {
    this.#QueueClass ??= (await import("bullmq")).Queue;
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new this.#QueueClass(name, { connection: this.#conn, prefix: this.#prefix });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async read(): Promise<ClusterLoad> {
    const inspection = await inspectQueue(this.#conn, this.#prefix);
    const busy = new Set<string>();
    if (inspection.active > 0) {
      const shared = await this.#queue(runKeys(this.#prefix, this.#tag).queue);
      for (const job of await shared.getJobs(["active"])) if (job?.processedBy) busy.add(job.processedBy);
      for (const worker of inspection.workers) {
        if (busy.has(worker)) continue;
        const pinned = await this.#queue(pinnedQueue(this.#tag, worker));
        if ((await pinned.getActiveCount()) > 0) busy.add(worker);
      }
    }
    return { waiting: inspection.waiting, active: inspection.active, liveWorkers: inspection.workers, busyWorkers: [...busy] };
  }

  /** Releases the queue handles (not the shared connection). */
  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  }
}
