/**
 * The flow run's side of the `out` stream: one connection blocks on XREAD and hands each record, in
 * order, to the session; what was read is trimmed every few reads (TRIM_MS). When Redis cannot be read
 * for longer than `failAfterMs`, `onLost` is told (the session fails the attempts in flight rather than
 * wait forever).
 */
import type { Redis } from "ioredis";
import { parseOutEntry, type OutRecord } from "./protocol.js";

/** Entries per XREAD. */
const READ_COUNT = 1000;
/** How long one XREAD blocks, in ms (also how long stop() may wait for the loop to notice). */
const BLOCK_MS = 1000;
/**
 * What was read is trimmed once this many entries are waiting for it, or this long after the last trim,
 * or when the stream goes quiet: one XTRIM per few reads instead of one per read (with one task at a
 * time, a read returns one entry), while the stream still never holds much more than one read's worth.
 */
const TRIM_ENTRIES = READ_COUNT;
const TRIM_MS = 250;

export interface OutReaderOptions {
  /** The blocking connection (used for nothing else). */
  reader: Redis;
  /** A connection for XTRIM. */
  conn: Redis;
  key: string;
  onRecord: (record: OutRecord, worker: string | undefined) => void;
  onLost: (error: unknown) => void;
  failAfterMs: number;
}

export class OutReader {
  readonly done: Promise<void>;
  readonly #o: OutReaderOptions;
  #stopping = false;
  #last = "0-0";

  constructor(options: OutReaderOptions) {
    this.#o = options;
    this.done = this.#loop();
  }

  async #loop(): Promise<void> {
    const o = this.#o;
    let failingSince: number | null = null;
    let untrimmed = 0;
    let trimmedAt = Date.now();
    const trim = (): void => {
      o.conn.xtrim(o.key, "MINID", this.#last).catch(() => undefined);
      untrimmed = 0;
      trimmedAt = Date.now();
    };
    while (!this.#stopping) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await o.reader.xread("COUNT", READ_COUNT, "BLOCK", BLOCK_MS, "STREAMS", o.key, this.#last)) as typeof reply;
        failingSince = null;
      } catch (error) {
        if (this.#stopping) break;
        failingSince ??= Date.now();
        if (Date.now() - failingSince > o.failAfterMs) {
          o.onLost(error);
          failingSince = Date.now();
        }
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (!reply) {
        if (untrimmed > 0) trim();
        continue;
      }
      for (const [, entries] of reply) {
        for (const [id, flat] of entries) {
          this.#last = id;
          untrimmed++;
          const { worker, records } = parseOutEntry(flat);
          for (const record of records) o.onRecord(record, worker);
        }
      }
      if (untrimmed >= TRIM_ENTRIES || Date.now() - trimmedAt >= TRIM_MS) trim();
    }
  }

  /**
   * The stream was recreated (Redis lost it) and its first entry is `firstId`: read from the start when
   * that entry is older than the last one read (the new server's clock is behind the old one's).
   */
  rewindBefore(firstId: string): void {
    if (compareIds(firstId, this.#last) <= 0) this.#last = "0-0";
  }

  /**
   * Ends the loop (disconnects the blocking connection) and waits for it, at most a few seconds: an XREAD
   * queued while Redis was unreachable may never settle after the disconnect, and must not hold the run.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#o.reader.disconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, BLOCK_MS + 2000)))]);
    clearTimeout(timer);
  }
}

/** Orders two stream entry ids ("<ms>-<seq>"). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}
