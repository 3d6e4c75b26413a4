/**
 * A worker's records for one run's `out` stream (log records, outcomes), sent as few stream entries as
 * possible: when other attempts run in the process, records wait for the end of the current turn of the
 * event loop and go in one XADD; a lone task (concurrency 1) is sent at once, without waiting a turn.
 *
 * `send` resolves once its record's XADD is *written* to the connection, not when Redis answers. The job
 * is completed on the same connection right after, and Redis runs one connection's commands in order,
 * so the outcome is in the stream before the job is completed, without waiting a round trip for it.
 * An XADD that Redis answers with an error (out of memory, a read-only replica) is sent again until it
 * is stored or the run is over; a NOMKSTREAM nil (the run ended and its stream is gone) drops it.
 */
import type { Redis } from "ioredis";
import { outFields, type OutRecord } from "../protocol.js";

/** Records per entry at most. */
const MAX_RECORDS = 1000;
/** Wait before sending again an entry Redis refused, in ms. */
const RETRY_MS = 200;

interface Waiting {
  record: OutRecord;
  resolve: () => void;
}

export class OutBatcher {
  readonly #conn: Redis;
  readonly #key: string;
  readonly #worker: string;
  readonly #waiting: Waiting[] = [];
  readonly #othersRunning: () => boolean;
  readonly #onRefused: (error: unknown) => void;
  #scheduled = false;
  #closed = false;

  /**
   * `othersRunning`: true when other attempts run in this process (then records wait for the end of the
   * turn). `onRefused`: told each time Redis refuses an entry (it is sent again).
   */
  constructor(conn: Redis, key: string, worker: string, othersRunning: () => boolean, onRefused: (error: unknown) => void) {
    this.#conn = conn;
    this.#key = key;
    this.#worker = worker;
    this.#othersRunning = othersRunning;
    this.#onRefused = onRefused;
  }

  send(record: OutRecord): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiting.push({ record, resolve });
      if (this.#scheduled) return;
      if (this.#othersRunning()) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      } else this.#flush();
    });
  }

  /** Stops sending again refused entries (the run is over for this worker). */
  close(): void {
    this.#closed = true;
  }

  #flush(): void {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_RECORDS);
      this.#write(batch.map((w) => w.record));
      for (const w of batch) w.resolve();
    }
  }

  #write(records: OutRecord[]): void {
    // NOMKSTREAM: once the run is over and its stream deleted, late records are dropped instead of recreating it.
    this.#conn.xadd(this.#key, "NOMKSTREAM", "*", ...outFields(this.#worker, records)).catch((error: unknown) => {
      if (this.#closed) return;
      this.#onRefused(error);
      setTimeout(() => {
        if (!this.#closed) this.#write(records);
      }, RETRY_MS).unref();
    });
  }
}
