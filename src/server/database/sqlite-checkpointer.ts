/**
 * Checkpoints a SQLite WAL database from a worker thread, off the event loop.
 *
 * In WAL mode with synchronous=NORMAL a commit does not fsync, but a checkpoint (copying the WAL back
 * into the database file) does, twice. By default SQLite runs one inside the commit that takes the WAL
 * past 1000 pages, and better-sqlite3 is synchronous: every request in flight would wait for those fsyncs
 * (tens of ms on a busy disk, every few dozen task-run writes). So the server's connection turns automatic
 * checkpoints off and this worker, with a connection of its own, runs PASSIVE checkpoints (they never block
 * the writer) at most every `intervalMs` while there are writes. Should the worker fail, `onFailure` lets
 * the driver turn automatic checkpoints back on.
 */
import { once } from "node:events";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** The worker: its own connection, one PASSIVE checkpoint per message, closed on "close". */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma("busy_timeout = 5000");
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    process.exit(0);
  }
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ ok: true, walPages: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String((error && error.message) || error), code: error && error.code });
  }
});
`;

export interface CheckpointerStats {
  /** Checkpoints completed by the worker. */
  checkpoints: number;
  /** WAL pages and pages copied back at the last checkpoint. */
  walPages: number;
  checkpointed: number;
}

type WorkerAnswer = { ok: true; walPages: number; checkpointed: number } | { ok: false; message: string; code?: string };

export class SqliteCheckpointer {
  private readonly worker: Worker;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private writtenWhileBusy = false;
  private closed = false;
  private failed = false;
  private waiting: ((stats: CheckpointerStats) => void)[] = [];
  readonly stats: CheckpointerStats = { checkpoints: 0, walPages: 0, checkpointed: 0 };

  /**
   * @param file the database file (the server's connection has it open in WAL mode)
   * @param intervalMs the longest time writes wait for their checkpoint
   * @param onFailure called once if the worker cannot checkpoint (the driver checkpoints itself again)
   */
  constructor(
    file: string,
    private readonly intervalMs: number,
    private readonly onFailure: (reason: string) => void,
  ) {
    const module = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, file }, execArgv: [], stdout: false, stderr: false });
    this.worker.unref();
    this.worker.on("message", (answer: WorkerAnswer) => this.answered(answer));
    this.worker.on("error", (error) => this.fail(error.message));
    this.worker.on("exit", (code) => {
      if (!this.closed) this.fail(`the checkpoint worker exited (code ${code})`);
    });
  }

  /** Tells the checkpointer the database was (maybe) written: a checkpoint follows within `intervalMs`. */
  written(): void {
    if (this.closed || this.failed) return;
    if (this.busy) {
      this.writtenWhileBusy = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => this.start(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs a checkpoint now (or joins the one running); resolves with the stats once it is done. */
  checkpoint(): Promise<CheckpointerStats> {
    if (this.closed || this.failed) return Promise.resolve(this.stats);
    const done = new Promise<CheckpointerStats>((resolve) => this.waiting.push(resolve));
    if (!this.busy) this.start();
    return done;
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.busy = true;
    this.worker.postMessage("checkpoint");
  }

  private answered(answer: WorkerAnswer): void {
    this.busy = false;
    // A full disk is not the worker's failure: the checkpoint is tried again after the next interval, and
    // succeeds once there is space (meanwhile the WAL keeps every commit).
    if (!answer.ok && answer.code === "SQLITE_FULL") {
      for (const resolve of this.waiting.splice(0)) resolve(this.stats);
      this.writtenWhileBusy = false;
      this.written();
      return;
    }
    if (!answer.ok) return this.fail(answer.message);
    this.stats.checkpoints++;
    this.stats.walPages = answer.walPages;
    this.stats.checkpointed = answer.checkpointed;
    for (const resolve of this.waiting.splice(0)) resolve(this.stats);
    if (this.writtenWhileBusy) {
      this.writtenWhileBusy = false;
      this.written();
    }
  }

  private fail(reason: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const resolve of this.waiting.splice(0)) resolve(this.stats);
    this.onFailure(reason);
    void this.worker.terminate();
  }

  /** Stops the worker (after its checkpoint in progress) and closes its connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const resolve of this.waiting.splice(0)) resolve(this.stats);
    if (this.failed) return;
    const exited = once(this.worker, "exit");
    this.worker.ref(); // wait for it even if nothing else keeps the process alive
    this.worker.postMessage("close");
    await exited;
  }
}
