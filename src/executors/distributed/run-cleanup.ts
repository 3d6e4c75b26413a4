/**
 * Removing everything a flow run put in Redis and in the result store, whatever the run's outcome:
 * workers are told the run ended, its keys and queues go, its stored values go. Every step is tried even
 * when an earlier one fails; the failures are returned, one line each.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { ResultStore } from "../../storage/results/index.js";
import type { PoolKeys, RunKeys } from "./keys.js";
import type { ControlMessage } from "./protocol.js";

export interface RunCleanup {
  conn: Redis;
  pool: PoolKeys;
  keys: RunKeys;
  /** The queues the run used, by name (shared and pinned). */
  queues: ReadonlyMap<string, Queue>;
  store: ResultStore;
  /** Whether the run was announced to workers (else only the queues are closed). */
  announced: boolean;
}

export async function removeRun(c: RunCleanup): Promise<string[]> {
  const problems: string[] = [];
  const step = async (what: string, body: () => Promise<unknown>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      problems.push(`${what}: ${(error as Error)?.message ?? String(error)}`);
    }
  };
  const k = c.keys;
  if (c.announced) {
    const ended: ControlMessage = { type: "ended", tag: k.tag };
    await step("telling workers the run ended", () => c.conn.publish(c.pool.control, JSON.stringify(ended)));
    await step("deleting the run's keys", () => c.conn.multi().del(k.meta, k.alive, k.out).srem(c.pool.runs, k.tag).exec());
    for (const [name, queue] of c.queues) await step(`removing queue ${name}`, () => queue.obliterate({ force: true }));
    await step("deleting the run's stored values", () => c.store.delete(k.storePrefix));
  }
  for (const queue of c.queues.values()) await step("closing a queue", () => queue.close());
  return problems;
}
