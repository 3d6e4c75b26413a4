/**
 * A worker process's part in one flow run: BullMQ consumers on the run's shared queue (and, with work
 * stealing off, on the queue pinned to this worker), and the processing of each job: load the flow
 * (cached per process by the shared loading path), fetch a stored input, run the attempt by task key,
 * stream its logs and send its outcome (a large result goes to the result store).
 */
import type { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { serializeError, SluiceError } from "../../../core/errors.js";
import type { LogRecord } from "../../../core/events.js";
import type { TaskAttemptOutcome, TaskRunRequest } from "../../../core/executor.js";
import { loadFlow } from "../../../core/load.js";
import type { ResultStore } from "../../../storage/results/index.js";
import { pinnedQueue, runKeys, type RunKeys } from "../keys.js";
import { encodeLog, encodeOutcome, fetchCarried } from "../payload.js";
import { OUT_KIND, type JobData, type RunMeta } from "../protocol.js";
import { OutBatcher } from "./out-batcher.js";
import type { Gate } from "./gate.js";

export interface AttachmentContext {
  conn: Redis;
  Worker: typeof Worker;
  queuePrefix: string;
  workerId: string;
  gate: Gate;
  logger: Logger;
  /** The directory flow modules given by relative path or package name are resolved from. */
  cwd: string;
}

export class RunAttachment {
  readonly meta: RunMeta;
  readonly keys: RunKeys;
  readonly #ctx: AttachmentContext;
  readonly #store: ResultStore;
  readonly #parameters: Record<string, unknown>;
  readonly #consumers: Worker[] = [];
  readonly #running = new Map<string, AbortController>();
  readonly #cancelled = new Set<string>();
  readonly #out: OutBatcher;
  #closing = false;

  constructor(ctx: AttachmentContext, meta: RunMeta, tag: string, store: ResultStore) {
    this.#ctx = ctx;
    this.meta = meta;
    this.keys = runKeys(ctx.queuePrefix, tag);
    this.#store = store;
    this.#parameters = JSON.parse(meta.parameters) as Record<string, unknown>;
    this.#out = new OutBatcher(
      ctx.conn,
      this.keys.out,
      ctx.workerId,
      () => ctx.gate.held > 1,
      (error) => {
        ctx.logger.warn(
          { flowRunId: meta.flowRunId, err: error },
          `Redis refused a record for the run's out stream (sent again): ${(error as Error)?.message ?? String(error)}`,
        );
      },
    );
  }

  /** The BullMQ queues this process consumes for the run (the shared one, and its pinned one without work stealing). */
  get queueNames(): string[] {
    return this.#consumers.map((c) => c.name);
  }

  /** Jobs of this run running in this process. */
  get running(): number {
    return this.#running.size;
  }

  start(): void {
    // The flow module loads while the run's first jobs are being queued, not when the first one is taken.
    // A failure is not cached by loadFlow: the first job loads it again and reports the error as its outcome.
    loadFlow(this.meta.locator, this.#ctx.cwd).catch(() => undefined);
    const queues = [this.keys.queue];
    if (!this.meta.workStealing) queues.push(pinnedQueue(this.keys.tag, this.#ctx.workerId));
    for (const name of queues) {
      const consumer = new this.#ctx.Worker(name, (job: Job) => this.#process(job), {
        connection: this.#ctx.conn,
        prefix: this.#ctx.queuePrefix,
        name: this.#ctx.workerId,
        concurrency: this.#ctx.gate.size,
        lockDuration: this.meta.lockDurationMs,
        stalledInterval: this.meta.stalledIntervalMs,
        maxStalledCount: this.meta.maxStalledCount,
        removeOnComplete: { count: 0 },
        removeOnFail: { count: 0 },
        drainDelay: 5,
      });
      consumer.on("error", (error: Error) => {
        if (this.#closing) return;
        // A job whose keys are gone: its run ended (its queue was removed) or Redis lost it; the run resends what it still waits for.
        const level = /^Missing (key|lock) for job/.test(error.message) ? "debug" : "warn";
        this.#ctx.logger[level]({ flowRunId: this.meta.flowRunId, err: error }, `queue ${name}: ${error.message}`);
      });
      // BullMQ fails a job itself only when it was taken over from dead workers too often.
      consumer.on("failed", (job: Job | undefined, error: Error) => {
        if (job?.id) void this.#failedByBullMQ(job, error);
      });
      this.#consumers.push(consumer);
    }
  }

  /** Aborts these jobs' attempts; those not started yet end Cancelled when taken. */
  cancel(jobIds: readonly string[]): void {
    for (const id of jobIds) {
      this.#cancelled.add(id);
      this.#running.get(id)?.abort(new SluiceError("CANCELLED", "the flow run was cancelled"));
    }
  }

  /** Stops consuming. `drain`: let running attempts finish (up to graceMs); else abort them now. */
  async close(reason: string, drain: { graceMs: number } | null = null): Promise<void> {
    this.#closing = true;
    if (drain === null) for (const controller of this.#running.values()) controller.abort(new SluiceError("CANCELLED", reason));
    let timer: NodeJS.Timeout | undefined;
    const graceful = Promise.all(this.#consumers.map((c) => c.close(drain === null)));
    if (drain === null) {
      await graceful.catch(() => undefined);
      this.#out.close();
      return;
    }
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), drain.graceMs);
    });
    const result = await Promise.race([
      graceful.then(
        () => "done" as const,
        () => "done" as const,
      ),
      expired,
    ]);
    clearTimeout(timer);
    // Attempts still running are left to BullMQ: their claims expire and other workers take them over.
    if (result === "expired") await Promise.all(this.#consumers.map((c) => c.close(true).catch(() => undefined)));
    this.#out.close();
  }

  async #process(job: Job): Promise<void> {
    const jobId = String(job.id);
    const data = job.data as JobData;
    if (this.#cancelled.has(jobId) || this.#closing) {
      await this.#send(jobId, OUT_KIND.outcome, JSON.stringify({ kind: "cancelled", message: `Task "${data.taskName}" was cancelled before it started` }));
      return;
    }
    await this.#ctx.gate.acquire();
    const controller = new AbortController();
    this.#running.set(jobId, controller);
    try {
      const outcome = await this.#attempt(jobId, data, controller.signal);
      const names = { taskName: data.taskName, mapIndex: data.mapIndex, taskRunId: data.taskRunId, flowRunId: this.meta.flowRunId };
      let text: string;
      try {
        text = await encodeOutcome(outcome, names, this.#store, `${this.keys.storePrefix}${jobId}.result.json`, this.meta.resultThresholdBytes);
      } catch (error) {
        text = JSON.stringify({ kind: "failed", error: serializeError(error) } satisfies TaskAttemptOutcome);
      }
      await this.#send(jobId, OUT_KIND.outcome, text);
    } finally {
      this.#running.delete(jobId);
      this.#ctx.gate.release();
    }
  }

  async #attempt(jobId: string, data: JobData, signal: AbortSignal): Promise<TaskAttemptOutcome> {
    let flow;
    try {
      flow = await loadFlow(this.meta.locator, this.#ctx.cwd);
    } catch (error) {
      return { kind: "failed", error: serializeError(error), noRetry: true };
    }
    let input: unknown;
    try {
      input = data.inputRef !== undefined ? await fetchCarried(data.inputRef, this.#store) : data.input;
    } catch (error) {
      return { kind: "failed", error: serializeError(error) };
    }
    const request: TaskRunRequest = {
      flowName: this.meta.flowName,
      flowRunId: this.meta.flowRunId,
      taskRunId: data.taskRunId,
      taskKey: data.taskKey,
      taskName: data.taskName,
      mapIndex: data.mapIndex,
      attempt: data.attempt,
      input,
      parameters: (data.parameters as Record<string, unknown> | undefined) ?? this.#parameters,
      timeoutMs: data.timeoutMs,
    };
    const onLog = (record: LogRecord): void => {
      this.#send(jobId, OUT_KIND.log, encodeLog(record)).catch((error: unknown) => {
        this.#ctx.logger.warn({ flowRunId: this.meta.flowRunId, err: error }, "a task log record could not be sent");
      });
    };
    return flow.runTaskAttempt(request, signal, onLog);
  }

  /** Adds a record to the run's out stream (batched per turn of the event loop). */
  #send(job: string, kind: string, data: string): Promise<void> {
    return this.#out.send({ job, kind, data });
  }

  async #failedByBullMQ(job: Job, error: Error): Promise<void> {
    const data = job.data as JobData;
    const message = /stalled/i.test(error.message)
      ? `task "${data.taskName}": the workers running it stopped ${this.meta.maxStalledCount + 1} times (killed, out of memory, or an event loop blocked for ` +
        `longer than lockDurationMs = ${this.meta.lockDurationMs} ms): ${error.message}`
      : `task "${data.taskName}": worker ${this.#ctx.workerId} could not process its job: ${error.message}`;
    const failure = new SluiceError("EXECUTOR_ERROR", message, { kind: "distributed", taskRunId: data.taskRunId, flowRunId: this.meta.flowRunId });
    try {
      await this.#send(String(job.id), OUT_KIND.outcome, JSON.stringify({ kind: "failed", error: serializeError(failure) } satisfies TaskAttemptOutcome));
    } catch (sendError) {
      this.#ctx.logger.warn({ flowRunId: this.meta.flowRunId, err: sendError }, "the failure of a stalled job could not be sent");
    }
  }
}
