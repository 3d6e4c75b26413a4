/**
 * Notices that Redis lost a flow run's state: a Redis restarted without persistence (or flushed, or
 * failed over to a replica that had not received it) comes back empty, and the run's queue, its jobs
 * and its outcome stream are gone. Nothing else would say so: workers find no jobs, the executor reads
 * an empty stream, and the run waits forever.
 *
 * The run's marker key (its metadata, written when the run is announced and kept until it ends) is
 * checked every `intervalMs` and whenever one of the run's connections is ready again after a
 * reconnect. When it is missing, `onLost` runs (one at a time; checks wait for it to finish).
 * When Redis has not answered a check for `unreachableAfterMs`, `onUnreachable` runs (once per outage):
 * the attempts in flight are failed with that reason rather than waited for without end.
 */
import type { Redis } from "ioredis";

export interface LostRunWatchOptions {
  /** The connection the checks use. */
  conn: Redis;
  /** Connections whose reconnects trigger a check at once (the run's command and reader connections). */
  watched: readonly Redis[];
  /** The key that exists for as long as Redis holds the run. */
  marker: string;
  intervalMs: number;
  /** Restores the run (or fails it). The watch resumes when it settles. */
  onLost: () => Promise<void>;
  /** How long Redis may not answer before `onUnreachable`, in ms. */
  unreachableAfterMs: number;
  onUnreachable: (error: Error) => void;
}

export class LostRunWatch {
  readonly #o: LostRunWatchOptions;
  readonly #timer: NodeJS.Timeout;
  readonly #onReady = (): void => void this.check();
  #checking: Promise<void> | undefined;
  #stopped = false;
  #answeredAt = Date.now();
  #reported = false;

  constructor(options: LostRunWatchOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.check(), options.intervalMs).unref();
    for (const conn of options.watched) conn.on("ready", this.#onReady);
  }

  /** Checks the marker now (joins a check or recovery under way). */
  check(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #check(): Promise<void> {
    const o = this.#o;
    let timer: NodeJS.Timeout | undefined;
    let exists: number;
    try {
      // A command to an unreachable Redis waits for the reconnect; the check gives up on it after one interval.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${o.intervalMs} ms`)), o.intervalMs);
      });
      exists = await Promise.race([o.conn.exists(o.marker), late]);
    } catch (error) {
      const silentMs = Date.now() - this.#answeredAt;
      if (silentMs >= o.unreachableAfterMs && !this.#reported && !this.#stopped) {
        this.#reported = true;
        o.onUnreachable(new Error(`Redis has not answered for ${silentMs} ms (${(error as Error)?.message ?? String(error)})`));
      }
      return; // the next check (or the reconnect) tries again
    } finally {
      clearTimeout(timer);
    }
    this.#answeredAt = Date.now();
    this.#reported = false;
    if (exists !== 0 || this.#stopped) return;
    try {
      await o.onLost();
    } catch {
      // Redis went away again while restoring: the marker is still missing, the next check tries again
    }
  }

  /** Stops checking and waits for a recovery under way to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const conn of this.#o.watched) conn.off("ready", this.#onReady);
    await this.#checking?.catch(() => undefined);
  }
}
