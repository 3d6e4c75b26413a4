/**
 * One flow run on the workers executor: sends attempts to the pool, forwards their logs, and cancels them
 * (the task's signal in its thread first; after the grace period, the pool's threads are terminated and
 * later attempts get a fresh pool).
 */
import { randomUUID } from "node:crypto";
import { BroadcastChannel } from "node:worker_threads";
import type { Piscina } from "piscina";
import { serializeError, SluiceError } from "../../core/errors.js";
import type { ExecutorSession, ExecutorStartOptions, FlowLocator, TaskAttemptOutcome, TaskRunRequest } from "../../core/executor.js";
import type { CompiledWorkersOptions } from "./options.js";
import { acquirePool, discardPool, releasePool, type PoolShape } from "./pool-cache.js";
import type { ChannelMessage, WorkerReply, WorkerTask } from "./protocol.js";
import { findUnserializable, notSerializable } from "./serializable.js";

/** How long the parent waits for a finished attempt's last log records to arrive, in ms. */
const LOG_DRAIN_MS = 1000;

/** An attempt running in the pool. */
interface InFlight {
  submitId: number;
  /** Resolves when the attempt's thread is terminated (after a cancellation that outlived its grace period). */
  stopped: Promise<void>;
  stop: () => void;
}

export class WorkersSession implements ExecutorSession {
  readonly #shape: PoolShape;
  /** The pool; replaced by a fresh one after a cancellation terminated its threads. */
  #pool: Piscina | Promise<Piscina>;
  readonly #channel: BroadcastChannel;
  readonly #channelName: string;
  readonly #locator: FlowLocator;
  readonly #start: ExecutorStartOptions;
  readonly #options: CompiledWorkersOptions;
  readonly #logsReceived = new Map<number, number>();
  readonly #logWaiters = new Map<number, { expected: number; resolve: () => void }>();
  readonly #inFlight = new Map<number, InFlight>();
  readonly #watched = new WeakSet<AbortSignal>();
  readonly #cwd = process.cwd();
  #graceTimer: NodeJS.Timeout | undefined;
  #submits = 0;
  #checkedParameters: unknown;
  #closed: Promise<void> | undefined;

  constructor(pool: Piscina, shape: PoolShape, options: CompiledWorkersOptions, start: ExecutorStartOptions, locator: FlowLocator) {
    this.#pool = pool;
    this.#shape = shape;
    this.#options = options;
    this.#start = start;
    this.#locator = locator;
    this.#channelName = `sluice-workers:${start.flowRunId}:${randomUUID()}`;
    this.#channel = new BroadcastChannel(this.#channelName);
    this.#channel.onmessage = (event: unknown) => this.#onMessage((event as { data: ChannelMessage }).data);
    this.#channel.unref();
  }

  #onMessage(message: ChannelMessage): void {
    if (message.type !== "log") return;
    const received = (this.#logsReceived.get(message.submitId) ?? 0) + 1;
    this.#logsReceived.set(message.submitId, received);
    try {
      this.#start.onLog(message.record);
    } catch {
      // a broken log sink must not break the executor
    }
    const waiter = this.#logWaiters.get(message.submitId);
    if (waiter && received >= waiter.expected) waiter.resolve();
  }

  /** Waits until every log record the worker posted for `submitId` has been forwarded (bounded). */
  async #drainLogs(submitId: number, expected: number): Promise<void> {
    if ((this.#logsReceived.get(submitId) ?? 0) < expected) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#logWaiters.set(submitId, { expected, resolve });
        timer = setTimeout(resolve, LOG_DRAIN_MS);
      });
      clearTimeout(timer);
      this.#logWaiters.delete(submitId);
    }
    this.#logsReceived.delete(submitId);
  }

  /** A failed outcome when the input or the parameters cannot be copied to a worker thread. */
  #checkRequest(request: TaskRunRequest): TaskAttemptOutcome | null {
    let problem = findUnserializable(request.input, "structured-clone", "input");
    if (!problem && request.parameters !== this.#checkedParameters) {
      problem = findUnserializable(request.parameters, "structured-clone", "parameters");
      if (!problem) this.#checkedParameters = request.parameters;
    }
    if (!problem) return null;
    const error = notSerializable(problem, { ...request, executor: "workers" });
    return { kind: "failed", error: serializeError(error), noRetry: true };
  }

  /**
   * Cancellation: when `signal` aborts, every attempt in flight is asked to stop (its signal in the worker
   * is aborted); those still running after the grace period are stopped by terminating the pool's threads
   * (a CPU-bound task cannot be interrupted otherwise), and later attempts get a fresh pool. One listener
   * per signal, however many attempts share it; no per-attempt AbortSignal is handed to piscina (it would
   * keep a thread from taking a second attempt while one runs).
   */
  #watch(signal: AbortSignal): void {
    if (this.#watched.has(signal)) return;
    this.#watched.add(signal);
    signal.addEventListener(
      "abort",
      () => {
        for (const attempt of this.#inFlight.values()) this.#channel.postMessage({ type: "cancel", submitId: attempt.submitId } satisfies ChannelMessage);
        clearTimeout(this.#graceTimer);
        this.#graceTimer = setTimeout(() => this.#terminateStragglers(), this.#options.cancelGraceMs);
      },
      { once: true },
    );
  }

  #terminateStragglers(): void {
    if (this.#inFlight.size === 0 || this.#closed) return;
    const pool = this.#pool;
    this.#pool = acquirePool({ ...this.#shape });
    for (const attempt of this.#inFlight.values()) attempt.stop();
    void Promise.resolve(pool).then(discardPool);
  }

  async submit(request: TaskRunRequest, signal: AbortSignal): Promise<TaskAttemptOutcome> {
    if (this.#closed) throw new SluiceError("EXECUTOR_ERROR", "workers executor: submit() after close()", { kind: "workers", flowRunId: request.flowRunId });
    if (signal.aborted) return { kind: "cancelled", message: `Task "${request.taskName}" was cancelled` };
    const invalid = this.#checkRequest(request);
    if (invalid) return invalid;
    this.#watch(signal);
    const submitId = ++this.#submits;
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    this.#inFlight.set(submitId, { submitId, stopped, stop });
    const task: WorkerTask = { locator: this.#locator, cwd: this.#cwd, request, channel: this.#channelName, submitId };
    const pool = this.#pool instanceof Promise ? (this.#pool = await this.#pool) : this.#pool;
    const run = pool.run(task) as Promise<WorkerReply>;
    run.catch(() => undefined); // when the attempt was stopped, nobody awaits its rejection
    try {
      const reply = await Promise.race([run, stopped]);
      if (reply === undefined) {
        return {
          kind: "cancelled",
          message: `Task "${request.taskName}" was cancelled (it did not stop within ${this.#options.cancelGraceMs} ms, so its worker thread was terminated)`,
        };
      }
      await this.#drainLogs(submitId, reply.logs);
      return reply.outcome;
    } catch (error) {
      if (signal.aborted) return { kind: "cancelled", message: `Task "${request.taskName}" was cancelled` };
      const message = error instanceof Error ? error.message : String(error);
      const wrapped = new SluiceError("EXECUTOR_ERROR", `task "${request.taskName}": its worker thread failed: ${message}`, {
        kind: "workers",
        taskRunId: request.taskRunId,
        flowRunId: request.flowRunId,
        cause: error,
      });
      return { kind: "failed", error: serializeError(wrapped) };
    } finally {
      this.#inFlight.delete(submitId);
      this.#logsReceived.delete(submitId);
    }
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearTimeout(this.#graceTimer);
      this.#channel.postMessage({ type: "close" } satisfies ChannelMessage);
      this.#channel.close();
      for (const waiter of this.#logWaiters.values()) waiter.resolve();
      const pool = await this.#pool;
      // A pool with attempts still running (tasks that ignored cancellation) is not reused.
      if (this.#inFlight.size > 0) discardPool(pool);
      else releasePool(this.#shape, pool, this.#options.keepAliveMs);
    })();
    return this.#closed;
  }
}
