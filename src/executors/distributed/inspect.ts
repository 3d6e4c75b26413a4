/**
 * A look at a queue prefix from outside: the live workers and how many task attempts wait or run per
 * flow run. What an environment that scales workers adaptively (a worker cluster on Kubernetes or ECS)
 * reads to decide how many workers it wants.
 */
import type { Redis } from "ioredis";
import { pinnedQueue, poolKeys, runKeys } from "./keys.js";
import { WORKER_GONE_AFTER_MS } from "./protocol.js";

export interface QueueInspection {
  /** Ids of the workers whose heartbeat is recent. */
  workers: string[];
  runs: { tag: string; waiting: number; active: number }[];
  /** Attempts waiting for a worker, over all runs. */
  waiting: number;
  /** Attempts running now, over all runs. */
  active: number;
}

/** Reads the state of `queuePrefix` (a few round trips, no scans). */
export async function inspectQueue(conn: Redis, queuePrefix: string): Promise<QueueInspection> {
  const pool = poolKeys(queuePrefix);
  const [workers, tags] = await Promise.all([conn.zrangebyscore(pool.workers, Date.now() - WORKER_GONE_AFTER_MS, "+inf"), conn.smembers(pool.runs)]);
  const runs: QueueInspection["runs"] = [];
  for (const tag of tags) {
    const queues = [runKeys(queuePrefix, tag).queue, ...workers.map((w) => pinnedQueue(tag, w))];
    const pipeline = conn.pipeline();
    for (const q of queues) pipeline.llen(`${queuePrefix}:${q}:wait`).llen(`${queuePrefix}:${q}:active`);
    const replies = (await pipeline.exec()) ?? [];
    let waiting = 0;
    let active = 0;
    replies.forEach(([, n], i) => {
      if (i % 2 === 0) waiting += Number(n ?? 0);
      else active += Number(n ?? 0);
    });
    runs.push({ tag, waiting, active });
  }
  return { workers, runs, waiting: runs.reduce((a, r) => a + r.waiting, 0), active: runs.reduce((a, r) => a + r.active, 0) };
}
