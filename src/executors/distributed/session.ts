/**
 * One flow run on the distributed executor: task attempts go to the run's BullMQ queue as jobs, workers
 * run them and append outcomes (and logs) to the run's `out` stream, which this session reads.
 *
 * - Submits made in the same turn of the event loop are added in one addBulk per queue (a map's
 *   children arrive together), and the run is announced to workers with the first of them.
 * - One reader connection blocks on the `out` stream (XREAD); entries are handled in order, so a task's
 *   logs reach the runner before its outcome.
 * - Cancellation publishes the aborted jobs on the control channel: running attempts see their signal
 *   aborted, queued ones end Cancelled as soon as a worker takes them (the runner's grace covers the rest).
 * - With work stealing off, jobs go to the queue of the worker that ran their upstream; jobs pinned to a
 *   worker whose heartbeat stopped are added to the shared queue again.
 * - A Redis that lost the run (restarted without persistence, flushed) is noticed by its missing marker:
 *   the run is announced again and every attempt in flight is queued again under its job id. A job id
 *   stands for one attempt of one task run, and only the first outcome of a job id is taken, so an
 *   attempt that ran twice (before and after the loss) still delivers one result.
 * - close() removes everything the run put in Redis and in the result store, whatever the run's outcome.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { SluiceError, serializeError } from "../../core/errors.js";
import type { LogRecord } from "../../core/events.js";
import type { ExecutorSession, ExecutorStartOptions, FlowLocator, TaskAttemptOutcome, TaskRunRequest } from "../../core/executor.js";
import { pinnedQueue, poolKeys, runKeys, runTag, type PoolKeys, type RunKeys } from "./keys.js";
import type { CompiledDistributedOptions } from "./options.js";
import { carry, decodeOutcome, fetchCarried, jsonProblem } from "./payload.js";
import { PinRouter } from "./pinning.js";
import { OutReader } from "./out-reader.js";
import { removeRun } from "./run-cleanup.js";
import { RunPresence } from "./run-presence.js";
import { OUT_KIND, WORKER_GONE_AFTER_MS, WORKER_HEARTBEAT_MS, type JobData, type OutRecord, runMeta } from "./protocol.js";
import { connectRedis } from "./redis-connection.js";

type QueueClass = typeof Queue;

interface PendingJob {
  request: TaskRunRequest;
  data: JobData;
  queue: string;
  pinnedTo: string | null;
  resolve: (outcome: TaskAttemptOutcome) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  timer: NodeJS.Timeout | undefined;
}

/** Jobs per addBulk call. */
const BULK = 500;

export class DistributedSession implements ExecutorSession {
  readonly #o: CompiledDistributedOptions;
  readonly #start: ExecutorStartOptions;
  readonly #locator: FlowLocator;
  readonly #keys: RunKeys;
  readonly #pool: PoolKeys;
  readonly #conn: Redis;
  readonly #reader: OutReader;
  readonly #Queue: QueueClass;
  readonly #queues = new Map<string, Queue>();
  readonly #pending = new Map<string, PendingJob>();
  readonly #router: PinRouter | null;
  /** One abort listener per signal (the runner passes the same one to every submit), with the jobs it covers. */
  readonly #watched = new Map<AbortSignal, { jobs: Set<string>; onAbort: () => void }>();
  #live = new Set<string>();
  #batch: string[] = [];
  #flushing: NodeJS.Immediate | undefined;
  #cancels: string[] = [];
  #cancelling: NodeJS.Immediate | undefined;
  #announced: Promise<void> | undefined;
  #parameters: unknown;
  #seq = 0;
  #stopping = false;
  #closed: Promise<void> | undefined;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #presence: RunPresence;

  private constructor(o: CompiledDistributedOptions, start: ExecutorStartOptions, locator: FlowLocator, conn: Redis, reader: Redis, QueueCtor: QueueClass) {
    this.#o = o;
    this.#start = start;
    this.#locator = locator;
    this.#keys = runKeys(o.queuePrefix, runTag(start.flowRunId));
    this.#pool = poolKeys(o.queuePrefix);
    this.#conn = conn;
    this.#Queue = QueueCtor;
    this.#router = o.workStealing ? null : new PinRouter(start.flow);
    this.#presence = new RunPresence({
      conn,
      reader,
      keys: this.#keys,
      pool: this.#pool,
      unreachableAfterMs: o.redis.connectTimeoutMs,
      onRestored: (firstId) => this.#requeueAfterLoss(firstId),
      onUnreachable: (error) => this.#failJobs([...this.#pending.keys()], error, "waiting for Redis"),
    });
    this.#reader = new OutReader({
      reader,
      conn,
      key: this.#keys.out,
      onRecord: (record, worker) => this.#handle(record, worker),
      onLost: (error) => this.#failJobs([...this.#pending.keys()], error, "reading outcomes"),
      failAfterMs: o.redis.connectTimeoutMs,
    });
  }

  /** Connects (failing fast with the URL when Redis cannot be used) and starts reading outcomes. */
  static async open(o: CompiledDistributedOptions, start: ExecutorStartOptions, locator: FlowLocator): Promise<DistributedSession> {
    const { Queue: QueueCtor } = await import("bullmq");
    const conn = await connectRedis(o.redis, `sluice-run-${runTag(start.flowRunId)}`);
    let reader: Redis;
    try {
      reader = await connectRedis(o.redis, `sluice-run-${runTag(start.flowRunId)}-reader`);
    } catch (error) {
      conn.disconnect();
      throw error;
    }
    const session = new DistributedSession(o, start, locator, conn, reader, QueueCtor);
    await session.#warnWithoutWorkers();
    return session;
  }

  // ---- submitting ----------------------------------------------------------------------------

  async submit(request: TaskRunRequest, signal: AbortSignal): Promise<TaskAttemptOutcome> {
    if (this.#stopping) {
      throw new SluiceError("EXECUTOR_ERROR", "distributed executor: submit() after close()", { kind: "distributed", flowRunId: request.flowRunId });
    }
    if (signal.aborted) return { kind: "cancelled", message: `Task "${request.taskName}" was cancelled before it was queued` };
    const invalid = jsonProblem(request.input, "input", request);
    if (invalid) return invalid;
    const jobId = `j${++this.#seq}`;
    const data: JobData = {
      taskRunId: request.taskRunId,
      taskKey: request.taskKey,
      taskName: request.taskName,
      mapIndex: request.mapIndex,
      attempt: request.attempt,
      timeoutMs: request.timeoutMs,
    };
    if (this.#announced === undefined) {
      const problem = jsonProblem(request.parameters, "parameters", request);
      if (problem) return problem;
      this.#parameters = request.parameters;
      this.#announced = this.#announce(request.parameters);
    } else if (request.parameters !== this.#parameters) {
      const problem = jsonProblem(request.parameters, "parameters", request);
      if (problem) return problem;
      data.parameters = request.parameters;
    }
    const carried = await carry(request.input, this.#o.resultStore, `${this.#keys.storePrefix}${jobId}.input.json`, this.#o.resultThresholdBytes);
    if ("inline" in carried) data.input = carried.inline;
    else if ("ref" in carried) data.inputRef = carried.ref;
    return new Promise<TaskAttemptOutcome>((resolve, reject) => {
      const pinnedTo = this.#pinTarget(request);
      const job: PendingJob = {
        request,
        data,
        queue: pinnedTo === null ? this.#keys.queue : pinnedQueue(this.#keys.tag, pinnedTo),
        pinnedTo,
        resolve,
        reject,
        signal,
        timer: undefined,
      };
      this.#watch(signal, jobId);
      if (this.#o.taskTimeoutMs !== null) {
        const ms = this.#o.taskTimeoutMs;
        job.timer = setTimeout(() => {
          this.#settle(jobId, {
            kind: "timedOut",
            message: `Task "${request.taskName}" got no result from a worker within ${ms} ms (taskTimeoutMs, time in the queue included); are workers running on queue "${this.#o.queuePrefix}"?`,
          });
          this.#publishCancel(jobId);
        }, ms);
      }
      this.#pending.set(jobId, job);
      this.#enqueue(jobId);
    });
  }

  #pinTarget(request: TaskRunRequest): string | null {
    if (!this.#router) return null;
    const worker = this.#router.preferred(request.taskKey, request.mapIndex);
    return worker !== null && this.#live.has(worker) ? worker : null;
  }

  #enqueue(jobId: string): void {
    this.#batch.push(jobId);
    this.#flushing ??= setImmediate(() => {
      this.#flushing = undefined;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const ids = this.#batch;
    this.#batch = [];
    const byQueue = new Map<string, string[]>();
    for (const id of ids) {
      const job = this.#pending.get(id);
      if (!job) continue; // settled meanwhile (cancelled, timed out)
      let list = byQueue.get(job.queue);
      if (!list) byQueue.set(job.queue, (list = []));
      list.push(id);
    }
    try {
      await this.#announced;
    } catch (error) {
      return this.#failJobs(ids, error, "announcing the run to the workers");
    }
    await Promise.all(
      [...byQueue].map(async ([name, list]) => {
        const queue = this.#queue(name);
        for (let i = 0; i < list.length; i += BULK) {
          const chunk = list.slice(i, i + BULK);
          const jobs = chunk.flatMap((id) => {
            const job = this.#pending.get(id);
            return job ? [{ name: job.data.taskKey, data: job.data, opts: { jobId: id } }] : [];
          });
          try {
            await queue.addBulk(jobs);
          } catch (error) {
            this.#failJobs(chunk, error, `adding jobs to queue ${name}`);
          }
        }
      }),
    );
  }

  #failJobs(ids: readonly string[], error: unknown, doing: string): void {
    for (const id of ids) {
      const job = this.#take(id);
      if (!job) continue;
      job.reject(
        new SluiceError(
          "EXECUTOR_ERROR",
          `distributed executor: ${doing} failed: ${(error as Error)?.message ?? String(error)} (Redis at ${this.#o.redis.display})`,
          {
            kind: "distributed",
            flowRunId: this.#start.flowRunId,
            taskRunId: job.request.taskRunId,
            cause: error,
          },
        ),
      );
    }
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new this.#Queue(name, {
        connection: this.#conn,
        prefix: this.#o.queuePrefix,
        streams: { events: { maxLen: 100 } },
        defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true },
      });
      queue.on("error", () => undefined); // failures surface through the calls that hit them
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Tells the workers about the run (its keys and "started"); with work stealing off, follows the workers' heartbeats. */
  async #announce(parameters: unknown): Promise<void> {
    const o = this.#o;
    await this.#presence.announce(JSON.stringify(runMeta(o, this.#start.flowRunId, this.#locator, parameters)));
    if (!o.workStealing) {
      await this.#refreshWorkers();
      this.#timers.push(setInterval(() => void this.#refreshWorkers(), WORKER_HEARTBEAT_MS).unref());
    }
  }

  /**
   * Redis lost the run and its keys are written again: every attempt in flight goes to the shared queue
   * again (the queues pinned to workers are gone too). Outcomes that were in the lost stream come again
   * from the attempts' second runs.
   */
  #requeueAfterLoss(firstId: string): void {
    if (this.#stopping) return;
    this.#reader.rewindBefore(firstId);
    const inFlight = [...this.#pending.keys()];
    const batched = new Set(this.#batch);
    for (const id of inFlight) {
      const job = this.#pending.get(id)!;
      job.pinnedTo = null;
      job.queue = this.#keys.queue;
      if (!batched.has(id)) this.#enqueue(id);
    }
    this.#log(
      "warn",
      `Redis at ${this.#o.redis.display} lost the run's queue (restarted without persistence, or flushed); ${inFlight.length} attempts in flight were queued again. ` +
        "Turn on persistence (appendonly yes) to keep queued work across restarts.",
    );
  }

  #log(level: LogRecord["level"], message: string): void {
    try {
      this.#start.onLog({ level, message, timestamp: new Date().toISOString(), flowRunId: this.#start.flowRunId });
    } catch {
      // a broken log sink must not break the run
    }
  }

  // ---- outcomes ------------------------------------------------------------------------------

  #handle(record: OutRecord, worker: string | undefined): void {
    const jobId = record.job;
    if (record.kind === OUT_KIND.log) {
      if (!this.#pending.has(jobId)) return;
      try {
        this.#start.onLog(JSON.parse(record.data) as LogRecord);
      } catch {
        // a broken log sink or record must not break the run
      }
      return;
    }
    if (record.kind !== OUT_KIND.outcome) return;
    const job = this.#pending.get(jobId);
    if (!job) return; // a duplicate (a job run again after its worker looked dead) or a settled job
    if (this.#router && worker) this.#router.record(job.request.taskKey, job.request.mapIndex, worker);
    let decoded: ReturnType<typeof decodeOutcome>;
    try {
      decoded = decodeOutcome(record.data);
    } catch (error) {
      return this.#settle(jobId, { kind: "failed", error: serializeError(error) });
    }
    if (decoded.kind !== "stored") return this.#settle(jobId, decoded);
    fetchCarried(decoded.ref, this.#o.resultStore).then(
      (result) => this.#settle(jobId, { kind: "success", result }),
      (error: unknown) => this.#settle(jobId, { kind: "failed", error: serializeError(error) }),
    );
  }

  /** Removes a pending job (listeners and timer too); undefined when it was already settled. */
  #take(jobId: string): PendingJob | undefined {
    const job = this.#pending.get(jobId);
    if (!job) return undefined;
    this.#pending.delete(jobId);
    clearTimeout(job.timer);
    const watch = this.#watched.get(job.signal);
    if (watch?.jobs.delete(jobId) && watch.jobs.size === 0) {
      job.signal.removeEventListener("abort", watch.onAbort);
      this.#watched.delete(job.signal);
    }
    return job;
  }

  #settle(jobId: string, outcome: TaskAttemptOutcome): void {
    this.#take(jobId)?.resolve(outcome);
  }

  // ---- cancellation and worker liveness ---------------------------------------------------------

  #watch(signal: AbortSignal, jobId: string): void {
    let watch = this.#watched.get(signal);
    if (!watch) {
      const jobs = new Set<string>();
      const onAbort = (): void => {
        for (const id of jobs) this.#publishCancel(id);
      };
      watch = { jobs, onAbort };
      this.#watched.set(signal, watch);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    watch.jobs.add(jobId);
  }

  #publishCancel(jobId: string): void {
    this.#cancels.push(jobId);
    this.#cancelling ??= setImmediate(() => {
      this.#cancelling = undefined;
      const jobs = this.#cancels;
      this.#cancels = [];
      this.#presence.publish({ type: "cancel", tag: this.#keys.tag, jobs }).catch(() => undefined);
    });
  }

  async #refreshWorkers(): Promise<void> {
    try {
      const ids = await this.#conn.zrangebyscore(this.#pool.workers, Date.now() - WORKER_GONE_AFTER_MS, "+inf");
      this.#live = new Set(ids);
    } catch {
      return; // keep the last known set; the next tick tries again
    }
    for (const [id, job] of this.#pending) {
      if (job.pinnedTo !== null && !this.#live.has(job.pinnedTo)) {
        job.pinnedTo = null;
        job.queue = this.#keys.queue;
        this.#enqueue(id);
      }
    }
  }

  async #warnWithoutWorkers(): Promise<void> {
    const live = await this.#conn.zcount(this.#pool.workers, Date.now() - WORKER_GONE_AFTER_MS, "+inf").catch(() => 1);
    if (live > 0) return;
    this.#log(
      "warn",
      `no worker is listening on queue "${this.#o.queuePrefix}" at ${this.#o.redis.display}; tasks wait until one starts (sluice worker --redis ${this.#o.redis.display} --queue ${this.#o.queuePrefix})`,
    );
  }

  // ---- closing -------------------------------------------------------------------------------

  close(): Promise<void> {
    this.#closed ??= this.#cleanUp();
    return this.#closed;
  }

  async #cleanUp(): Promise<void> {
    this.#stopping = true;
    await this.#presence.stop(); // a restore under way finishes first, so what it writes is removed below
    for (const timer of this.#timers) clearInterval(timer);
    if (this.#flushing) clearImmediate(this.#flushing);
    if (this.#cancelling) clearImmediate(this.#cancelling); // "ended" below aborts every attempt of the run anyway
    for (const id of [...this.#pending.keys()]) this.#settle(id, { kind: "cancelled", message: "Cancelled: the distributed executor was closed" });
    // Clean-up waits for Redis at most connectTimeoutMs: a Redis that is gone must not keep the run from ending.
    // What it could not remove then, workers remove once the run's alive key has expired.
    const ms = this.#o.redis.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), ms);
    });
    const removal = (async () => {
      if (this.#announced !== undefined) await this.#announced.catch(() => undefined);
      return removeRun({
        conn: this.#conn,
        pool: this.#pool,
        keys: this.#keys,
        queues: this.#queues,
        store: this.#o.resultStore,
        announced: this.#announced !== undefined,
      });
    })();
    const removed = await Promise.race([removal, late]);
    clearTimeout(timer);
    await this.#reader.stop();
    let problems: string[];
    if (removed === "late") {
      problems = [
        `Redis at ${this.#o.redis.display} did not answer within ${ms} ms (connectTimeoutMs); the run's keys are removed by workers once its alive key expires`,
      ];
      this.#conn.disconnect();
    } else {
      problems = removed;
      await this.#conn.quit().catch((error: unknown) => problems.push(`closing the Redis connection: ${(error as Error)?.message ?? String(error)}`));
    }
    if (problems.length > 0) {
      throw new SluiceError("EXECUTOR_ERROR", `distributed executor: cleaning up flow run ${this.#start.flowRunId} failed: ${problems.join("; ")}`, {
        kind: "distributed",
        flowRunId: this.#start.flowRunId,
      });
    }
  }
}
