/**
 * The RunReporter: the observer that tells the server what a deployed flow run does.
 *
 * - Task-run states and log lines are queued and sent in batches (the API's batch endpoints): when
 *   `logging.batchSize` items wait, every `logging.batchIntervalMs`, and at once for a flow-run state.
 *   Order is kept: a flow-run state goes after everything queued before it, so the server sees Running
 *   first and the final state last. A 1,000-task run needs a few dozen requests, not thousands.
 * - Logs pass the `logging.level` filter and are sent only when `logging.sendToApi` is on.
 * - Heartbeats every `reporter.heartbeatIntervalMs`; every `reporter.cancelCheckIntervalMs` the run's
 *   record is read: a cancel request (or a run the server already ended) aborts `signal`, so the run ends
 *   Cancelled within seconds.
 * - The server being unreachable loses nothing: unsent items stay queued and are sent again with backoff;
 *   `close()` keeps trying for `reporter.flushTimeoutMs` before it gives up and says what was lost.
 */
import type { Logger } from "pino";
import { SluiceApiError, UNMAPPED, type SluiceClient, type StateInput, type TaskRunUpdateInput } from "../client/index.js";
import type { SluiceConfig } from "../config/schema.js";
import { SluiceError, serializeError } from "../core/errors.js";
import type { LogLevel, LogRecord, RunEvent, RunObserver } from "../core/events.js";
import { levelPasses } from "../core/logger.js";
import { isFinished, makeState, type State } from "../core/states.js";
import { logForApi, stateForApi } from "./api-state.js";

/** What the reporter needs of the API client. */
export type ReporterClient = Pick<SluiceClient, "setFlowRunState" | "setTaskRunStates" | "writeLogs" | "heartbeat" | "getFlowRun">;

export interface RunReporterOptions {
  client: ReporterClient;
  flowRunId: string;
  /** `logging` of the configuration: level, sendToApi, batchSize, batchIntervalMs. */
  logging: Pick<SluiceConfig["logging"], "level" | "sendToApi" | "batchSize" | "batchIntervalMs">;
  /** `reporter` of the configuration: heartbeat and cancel-check intervals, exit flush timeout. */
  reporter: SluiceConfig["reporter"];
  /** Where the reporter's own warnings go (never to the API, to avoid loops). */
  logger: Logger;
  /** Task runs the server already has for this run (a rescheduled run): their ids are reused. @default [] */
  knownTaskRuns?: Iterable<{ id: string; taskKey: string; mapIndex: number }>;
  /** Task-run updates per request (the API takes at most 5,000). @default 1000 */
  taskBatchSize?: number;
}

/** Requests sent and items the server refused or that could not be sent. */
export interface ReporterStats {
  taskRunRequests: number;
  logRequests: number;
  flowRunRequests: number;
  heartbeats: number;
  /** Task-run updates the server refused (e.g. a task run already finished in an earlier attempt). */
  refusedTaskUpdates: number;
  /** Items dropped because the server rejected them as invalid. */
  dropped: number;
  /** Items still unsent when close() gave up. */
  unsent: number;
}

type Item =
  | { kind: "flow"; state: StateInput }
  | { kind: "task"; update: TaskRunUpdateInput & { mapIndex: number }; runnerId: string }
  | { kind: "log"; record: LogRecord };

const keyOf = (taskKey: string, mapIndex: number): string => `${mapIndex}\u0000${taskKey}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Errors worth retrying: the server unreachable, overloaded or failing; not a refusal of the request. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SluiceApiError) return error.status === 0 || error.status >= 500;
  return !(error instanceof SluiceError);
}

export class RunReporter {
  readonly flowRunId: string;
  readonly stats: ReporterStats = { taskRunRequests: 0, logRequests: 0, flowRunRequests: 0, heartbeats: 0, refusedTaskUpdates: 0, dropped: 0, unsent: 0 };
  readonly #o: RunReporterOptions;
  readonly #client: ReporterClient;
  readonly #controller = new AbortController();
  readonly #queue: Item[] = [];
  /** Runner task-run id → (taskKey, mapIndex) key. */
  readonly #keyOfRunnerId = new Map<string, string>();
  /** (taskKey, mapIndex) key → the server's task-run id. */
  readonly #serverIds = new Map<string, string>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #taskBatchSize: number;
  #draining: Promise<void> | undefined;
  #retryAt = 0;
  #failures = 0;
  #outage = false;
  #finalQueued = false;
  #finalSent: State | StateInput | undefined;
  #checking = false;
  #beating = false;
  #closed = false;

  constructor(options: RunReporterOptions) {
    this.#o = options;
    this.#client = options.client;
    this.flowRunId = options.flowRunId;
    this.#taskBatchSize = Math.min(5000, Math.max(1, options.taskBatchSize ?? 1000));
    for (const t of options.knownTaskRuns ?? []) this.#serverIds.set(keyOf(t.taskKey, t.mapIndex), t.id);
  }

  /** Aborted when the run must stop: a cancel request, or the server ended the run. Pass it to the run. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The final flow-run state the server accepted, once sent. */
  get finalState(): State | StateInput | undefined {
    return this.#finalSent;
  }

  /** Items waiting to be sent. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Give this to the run's observers. */
  readonly observer: RunObserver = (event: RunEvent): void => {
    switch (event.type) {
      case "flow-run-state":
        this.setFlowRunState(event.state);
        return;
      case "task-run-state": {
        const mapIndex = event.mapIndex ?? UNMAPPED;
        this.#keyOfRunnerId.set(event.taskRunId, keyOf(event.taskKey, mapIndex));
        this.#enqueue({
          kind: "task",
          runnerId: event.taskRunId,
          update: { taskKey: event.taskKey, mapIndex, taskName: event.taskName, state: stateForApi(event.state) },
        });
        return;
      }
      case "log":
        this.#log(event.record);
        return;
    }
  };

  /** Queues a flow-run state (sent after everything queued before it, at once). */
  setFlowRunState(state: State): void {
    if (this.#finalQueued) return;
    if (isFinished(state)) this.#finalQueued = true;
    this.#enqueue({ kind: "flow", state: stateForApi(state) });
    void this.flush();
  }

  /** Queues a log line of the run itself (not of a task), e.g. "loaded flow x from storage y". */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.#log({ level, message, timestamp: new Date().toISOString(), flowRunId: this.flowRunId, ...(fields ? { fields } : {}) });
  }

  #log(record: LogRecord): void {
    if (!this.#o.logging.sendToApi || !levelPasses(record.level, this.#o.logging.level)) return;
    this.#enqueue({ kind: "log", record });
  }

  #enqueue(item: Item): void {
    this.#queue.push(item);
    if (this.#queue.length >= this.#o.logging.batchSize && !this.#draining) void this.flush();
  }

  /** Starts heartbeats, cancel checks and the periodic flush. */
  start(): void {
    if (this.#timers.length > 0 || this.#closed) return;
    const every = (ms: number, fn: () => void): void => {
      const timer = setInterval(fn, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    void this.#heartbeat();
    every(this.#o.reporter.heartbeatIntervalMs, () => void this.#heartbeat());
    every(this.#o.reporter.cancelCheckIntervalMs, () => void this.#checkRun());
    every(this.#o.logging.batchIntervalMs, () => {
      if (this.#queue.length > 0) void this.flush();
    });
  }

  /** Sends what is queued now; resolves when sent, or when the server is unreachable (items stay queued). */
  flush(): Promise<void> {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      // Items queued while the last request was in flight go out now rather than at the next tick.
      if (this.#queue.length > 0 && Date.now() >= this.#retryAt && !this.#closed) void this.flush();
    });
    return this.#draining;
  }

  /** Stops the timers and sends everything still queued, trying for up to `reporter.flushTimeoutMs`. */
  async close(): Promise<ReporterStats> {
    if (this.#closed) return this.stats;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    const deadline = Date.now() + this.#o.reporter.flushTimeoutMs;
    for (;;) {
      try {
        await this.flush();
      } catch (error) {
        this.#o.logger.error({ flowRunId: this.flowRunId, err: error }, `sending the run's last states and logs failed: ${(error as Error).message}`);
        break;
      }
      if (this.#queue.length === 0 || Date.now() >= deadline) break;
      await sleep(Math.max(50, Math.min(this.#retryAt - Date.now(), deadline - Date.now())));
      this.#retryAt = 0;
    }
    this.stats.unsent = this.#queue.length;
    if (this.#queue.length > 0) {
      const counts = { flow: 0, task: 0, log: 0 };
      for (const item of this.#queue) counts[item.kind]++;
      this.#o.logger.error(
        { flowRunId: this.flowRunId, ...counts },
        `the server could not be reached for ${this.#o.reporter.flushTimeoutMs} ms at exit: ${counts.flow} flow-run states, ${counts.task} task-run states and ${counts.log} log lines were not recorded`,
      );
    }
    return this.stats;
  }

  // ---- sending -----------------------------------------------------------------------------------

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      if (Date.now() < this.#retryAt) return;
      const flowAt = this.#queue.findIndex((item) => item.kind === "flow");
      const segment = this.#queue.splice(0, flowAt < 0 ? this.#queue.length : flowAt + 1);
      if (!(await this.#sendSegment(segment))) {
        this.#failures++;
        this.#retryAt = Date.now() + Math.min(5000, 250 * 2 ** Math.min(this.#failures - 1, 5));
        return;
      }
      this.#failures = 0;
      if (this.#outage) {
        this.#outage = false;
        this.#o.logger.info({ flowRunId: this.flowRunId }, "the server is reachable again; queued states and logs were sent");
      }
    }
  }

  /** Sends task updates, then logs, then the flow state of one segment. False (items back in the queue) when the server is unreachable. */
  async #sendSegment(segment: Item[]): Promise<boolean> {
    const tasks = segment.filter((i): i is Extract<Item, { kind: "task" }> => i.kind === "task");
    const logs = segment.filter((i): i is Extract<Item, { kind: "log" }> => i.kind === "log");
    let flow = segment.find((i): i is Extract<Item, { kind: "flow" }> => i.kind === "flow");
    try {
      while (tasks.length > 0) {
        const chunk = tasks.slice(0, this.#taskBatchSize);
        await this.#sendTasks(chunk);
        tasks.splice(0, chunk.length);
      }
      while (logs.length > 0) {
        const chunk = logs.slice(0, Math.min(10_000, this.#o.logging.batchSize));
        await this.#sendLogs(chunk);
        logs.splice(0, chunk.length);
      }
      if (flow) {
        await this.#sendFlow(flow.state);
        flow = undefined;
      }
      return true;
    } catch (error) {
      if (!isRetryable(error)) throw error;
      this.#queue.unshift(...tasks, ...logs, ...(flow ? [flow] : []));
      if (!this.#outage) {
        this.#outage = true;
        this.#o.logger.warn(
          { flowRunId: this.flowRunId, err: error },
          `cannot reach the server; ${this.#queue.length} states and logs are kept and sent again`,
        );
      }
      return false;
    }
  }

  /** A refusal the retry will not fix: logged and dropped. */
  #drop(what: string, count: number, error: unknown): void {
    this.stats.dropped += count;
    this.#o.logger.warn({ flowRunId: this.flowRunId, err: error }, `the server refused ${count} ${what}; they are dropped: ${(error as Error).message}`);
  }

  async #sendTasks(chunk: Extract<Item, { kind: "task" }>[]): Promise<void> {
    this.stats.taskRunRequests++;
    let results;
    try {
      results = await this.#client.setTaskRunStates(
        this.flowRunId,
        chunk.map((item) => item.update),
      );
    } catch (error) {
      if (isRetryable(error)) throw error;
      this.#drop("task-run states", chunk.length, error);
      if (error instanceof SluiceApiError && error.status === 404) this.#abort(`flow run ${this.flowRunId} no longer exists on the server`);
      return;
    }
    for (const result of results) {
      if (result.ok && result.id !== undefined) this.#serverIds.set(keyOf(result.taskKey, result.mapIndex), result.id);
      else if (!result.ok) {
        this.stats.refusedTaskUpdates++;
        this.#o.logger.debug(
          { flowRunId: this.flowRunId, taskKey: result.taskKey, mapIndex: result.mapIndex },
          `task-run update refused: ${result.error?.message ?? "no reason"}`,
        );
      }
    }
  }

  async #sendLogs(chunk: Extract<Item, { kind: "log" }>[]): Promise<void> {
    this.stats.logRequests++;
    const logs = chunk.map(({ record }) => {
      const key = record.taskRunId === undefined ? undefined : this.#keyOfRunnerId.get(record.taskRunId);
      return logForApi(record, key === undefined ? undefined : this.#serverIds.get(key));
    });
    try {
      await this.#client.writeLogs(logs);
    } catch (error) {
      if (isRetryable(error)) throw error;
      this.#drop("log lines", chunk.length, error);
    }
  }

  async #sendFlow(state: StateInput): Promise<void> {
    this.stats.flowRunRequests++;
    try {
      await this.#client.setFlowRunState(this.flowRunId, state);
      if (isFinished(state.name)) this.#finalSent = state;
    } catch (error) {
      if (isRetryable(error)) throw error;
      this.#drop(`flow-run state ${state.name}`, 1, error);
      // The server ended the run meanwhile (cancelled, failed by a service) or it is gone: stop working on it.
      if (!isFinished(state.name)) this.#abort(`the server refused flow-run state ${state.name}: ${(error as Error).message}`);
    }
  }

  // ---- liveness and cancellation -------------------------------------------------------------------

  #abort(reason: string): void {
    if (this.#controller.signal.aborted) return;
    this.#o.logger.warn({ flowRunId: this.flowRunId }, `stopping the run: ${reason}`);
    this.#controller.abort(new SluiceError("CANCELLED", reason, { flowRunId: this.flowRunId }));
  }

  async #heartbeat(): Promise<void> {
    if (this.#beating || this.#closed) return;
    this.#beating = true;
    try {
      const answer = await this.#client.heartbeat(this.flowRunId);
      this.stats.heartbeats++;
      if (answer.cancelRequested && !this.#finalQueued) this.#abort("a cancel was requested through the API");
    } catch (error) {
      if (error instanceof SluiceApiError && error.status === 404) this.#abort(`flow run ${this.flowRunId} no longer exists on the server`);
      else this.#o.logger.debug({ flowRunId: this.flowRunId, err: error }, "heartbeat failed");
    } finally {
      this.#beating = false;
    }
  }

  async #checkRun(): Promise<void> {
    if (this.#checking || this.#finalQueued || this.#closed) return;
    this.#checking = true;
    try {
      const run = await this.#client.getFlowRun(this.flowRunId);
      if (this.#finalQueued) return;
      if (run.cancelRequested) this.#abort("a cancel was requested through the API");
      else if (isFinished(run.state.name)) this.#abort(`the server ended this run: ${run.state.name}${run.state.message ? ` (${run.state.message})` : ""}`);
    } catch (error) {
      if (error instanceof SluiceApiError && error.status === 404) this.#abort(`flow run ${this.flowRunId} no longer exists on the server`);
    } finally {
      this.#checking = false;
    }
  }

  /** Queues a Failed flow-run state with `message` and an ERROR log line saying the same. */
  fail(message: string, error?: unknown): void {
    this.log("error", message);
    this.setFlowRunState(makeState("Failed", { message, ...(error === undefined ? {} : { error: serializeError(error) }) }));
  }
}
