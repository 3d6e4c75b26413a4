/**
 * A worker's records for one run's `out` stream (log records, outcomes), sent as few stream entries as
 * possible: when other attempts run in the process, records wait for the end of the current turn of the
 * event loop, and records that arrive while an XADD is on its way go with the next one. So many tasks
 * finishing at once share a few XADDs, while a lone task (concurrency 1) is sent at once, without
 * waiting a turn. `send` resolves once its record is in Redis (a job is completed only after its outcome
 * is safe), in order: one connection, one entry after the other.
 */
import type { Redis } from "ioredis";
import { outFields, type OutRecord } from "../protocol.js";

/** Records per entry at most. */
const MAX_RECORDS = 1000;

interface Waiting {
  record: OutRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class OutBatcher {
  readonly #conn: Redis;
  readonly #key: string;
  readonly #worker: string;
  readonly #waiting: Waiting[] = [];
  readonly #othersRunning: () => boolean;
  #busy = false;

  /** `othersRunning`: true when other attempts run in this process (then records wait for the end of the turn). */
  constructor(conn: Redis, key: string, worker: string, othersRunning: () => boolean) {
    this.#conn = conn;
    this.#key = key;
    this.#worker = worker;
    this.#othersRunning = othersRunning;
  }

  send(record: OutRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ record, resolve, reject });
      if (this.#busy) return;
      this.#busy = true;
      if (this.#othersRunning()) setImmediate(() => void this.#pump());
      else void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_RECORDS);
      try {
        // NOMKSTREAM: once the run is over and its stream deleted, late records are dropped instead of recreating it.
        await this.#conn.xadd(this.#key, "NOMKSTREAM", "*", ...outFields(this.#worker, batch.map((w) => w.record)));
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.#busy = false;
  }
}
