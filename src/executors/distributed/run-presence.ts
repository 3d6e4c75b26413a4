/**
 * A flow run's presence in Redis, as workers see it: its keys (metadata, the alive key refreshed while
 * the process lives, the out stream, its tag in the runs set) and the "started" announcement.
 *
 * When Redis loses them (a restart without persistence, a flush), the LostRunWatch notices; the keys are
 * written again, the session re-queues its attempts in flight (`onRestored`), and workers are told again.
 */
import type { Redis } from "ioredis";
import type { PoolKeys, RunKeys } from "./keys.js";
import { LostRunWatch } from "./lost-run-watch.js";
import { OUT, OUT_KIND, RUN_ALIVE_REFRESH_MS, RUN_ALIVE_TTL_MS, type ControlMessage } from "./protocol.js";

/** How often the run's marker is checked. */
const LOST_CHECK_MS = 1000;

export interface RunPresenceOptions {
  conn: Redis;
  /** The out stream's reader connection (its reconnects trigger a check too). */
  reader: Redis;
  keys: RunKeys;
  pool: PoolKeys;
  /** How long Redis may not answer before `onUnreachable`, in ms. */
  unreachableAfterMs: number;
  /** Redis lost the run and its keys are back; `firstId` is the new out stream's first entry. */
  onRestored: (firstId: string) => void;
  onUnreachable: (error: Error) => void;
}

export class RunPresence {
  readonly #o: RunPresenceOptions;
  #metaText = "";
  #alive: NodeJS.Timeout | undefined;
  #watch: LostRunWatch | undefined;

  constructor(options: RunPresenceOptions) {
    this.#o = options;
  }

  /** Writes the run's keys, keeps its alive key fresh, announces it, and starts watching for its loss. */
  async announce(metaText: string): Promise<void> {
    const { conn, keys } = this.#o;
    this.#metaText = metaText;
    await this.#write();
    this.#alive = setInterval(() => {
      conn.set(keys.alive, "1", "PX", RUN_ALIVE_TTL_MS).catch(() => undefined);
    }, RUN_ALIVE_REFRESH_MS).unref();
    await this.publish({ type: "started", tag: keys.tag });
    this.#watch = new LostRunWatch({
      conn,
      watched: [conn, this.#o.reader],
      marker: keys.meta,
      intervalMs: LOST_CHECK_MS,
      onLost: () => this.#restore(),
      unreachableAfterMs: this.#o.unreachableAfterMs,
      onUnreachable: this.#o.onUnreachable,
    });
  }

  publish(message: ControlMessage): Promise<number> {
    return this.#o.conn.publish(this.#o.pool.control, JSON.stringify(message));
  }

  /** Writes the run's keys in one transaction; returns the id of the out stream's first entry. */
  async #write(): Promise<string> {
    const { conn, keys, pool } = this.#o;
    const replies = await conn
      .multi()
      .set(keys.meta, this.#metaText)
      .set(keys.alive, "1", "PX", RUN_ALIVE_TTL_MS)
      .xadd(keys.out, "*", OUT.kind, OUT_KIND.init)
      .sadd(pool.runs, keys.tag)
      .exec();
    const [error, id] = replies?.[2] ?? [new Error("the transaction was discarded"), null];
    if (error) throw error;
    return String(id);
  }

  async #restore(): Promise<void> {
    const firstId = await this.#write();
    this.#o.onRestored(firstId);
    await this.publish({ type: "started", tag: this.#o.keys.tag });
  }

  /** Stops refreshing and watching (a restore under way finishes first, so the clean-up after it sees its keys). */
  async stop(): Promise<void> {
    clearInterval(this.#alive);
    await this.#watch?.stop();
  }
}
