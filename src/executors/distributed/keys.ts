/**
 * Every Redis name the distributed executor and its workers share, in one place. All live under the
 * queue prefix (the executor's `queuePrefix`, the worker's `--queue`):
 *
 * | name                              | what                                                              |
 * | --------------------------------- | ----------------------------------------------------------------- |
 * | `<p>:runs`                        | set of the run tags with work for workers                          |
 * | `<p>:workers`                     | sorted set: worker id → last heartbeat (ms)                        |
 * | `<p>:control`                     | pub/sub channel: run started / ended, cancellations                |
 * | `<p>:run:<tag>:meta`              | the run's RunMeta (JSON)                                           |
 * | `<p>:run:<tag>:alive`             | exists while the flow run's process lives (PX, refreshed)          |
 * | `<p>:run:<tag>:out`               | stream of results and logs from workers to the flow run            |
 * | `<p>:run.<tag>:*`                 | BullMQ's keys of the run's shared queue `run.<tag>`                |
 * | `<p>:run.<tag>.w.<worker>:*`      | BullMQ's keys of the queue pinned to one worker (workStealing off) |
 */
import { createHash } from "node:crypto";

/** Characters allowed in a run tag or worker id: they become part of BullMQ queue names (no ":"). */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

/** A flow run id as it may appear in names: itself when safe, else a hash of it. */
export function runTag(flowRunId: string): string {
  return SAFE.test(flowRunId) ? flowRunId : `h${createHash("sha256").update(flowRunId).digest("hex").slice(0, 32)}`;
}

/** True for a worker id usable in queue names. */
export const isSafeName = (name: string): boolean => SAFE.test(name);

export interface PoolKeys {
  runs: string;
  workers: string;
  control: string;
}

export function poolKeys(prefix: string): PoolKeys {
  return { runs: `${prefix}:runs`, workers: `${prefix}:workers`, control: `${prefix}:control` };
}

export interface RunKeys {
  tag: string;
  meta: string;
  alive: string;
  out: string;
  /** BullMQ queue name of the run's shared queue. */
  queue: string;
  /** Result store key prefix of the run. */
  storePrefix: string;
}

export function runKeys(prefix: string, tag: string): RunKeys {
  return {
    tag,
    meta: `${prefix}:run:${tag}:meta`,
    alive: `${prefix}:run:${tag}:alive`,
    out: `${prefix}:run:${tag}:out`,
    queue: `run.${tag}`,
    storePrefix: `${prefix}/${tag}/`,
  };
}

/** BullMQ queue name of the run's queue pinned to `workerId`. */
export const pinnedQueue = (tag: string, workerId: string): string => `run.${tag}.w.${workerId}`;
