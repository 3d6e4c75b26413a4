/**
 * The flow runner: walks a compiled graph plan for one flow run. It owns the DAG, triggers, mapping,
 * caching, retries and their delays, cancellation and states; the executor only runs single attempts.
 *
 * Invariants:
 * - A node becomes ready when its last upstream node finishes (counters, no scans); a mapped node expands
 *   then (breadth-first: an upstream mapped node is finished when all its children are).
 * - At most `executor.maxConcurrency` runs are in flight; ready runs start in definition order, then map index.
 * - No timer unless a retry waits or a cancellation grace runs; no event object unless someone observes.
 * - `run()` resolves once every node finished, even when tasks ignore cancellation (after `cancelGraceMs`).
 *
 * States a task run goes through: Pending (created) → Running (an attempt handed to the executor) →
 * Success | Failed | TimedOut | Skipped | Cancelled, with Retrying between attempts; TriggerFailed, Skipped
 * or Cancelled straight from Pending when it does not run; Mapped for the parent of a mapped node.
 * Scheduled and Submitted belong to flow runs on the server (agents), not to task runs here.
 */
import type { Logger } from "pino";
import type { CacheStore } from "../cache.js";
import { isoNow as now } from "../clock.js";
import { randomId } from "../random-id.js";
import { serializeError, SluiceError } from "../errors.js";
import type { RunObserver } from "../events.js";
import type { Executor, ExecutorSession, FlowLocator, RunnableFlow, TaskAttemptOutcome, TaskRunRequest } from "../executor.js";
import type { FlowRunOptions, FlowRunResult, ResumedTaskRun } from "../run-options.js";
import type { GraphPlan } from "../graph-plan.js";
import type { LoggerLevel } from "../logger.js";
import { MAX_FORCED_RETRIES } from "../signals.js";
import { isFinished, type State } from "../states.js";
import { retryDelay } from "../task-options.js";
import { gate } from "./gate.js";
import { childInput, plainInput, planMapping, type ResolveContext } from "./inputs.js";
import { ReadyQueue } from "./ready-queue.js";
import { NodeRun, TaskRunRecord } from "./records.js";
import { buildResult, finalState } from "./result.js";
import { RunCache } from "./run-cache.js";
import { RunEvents } from "./run-events.js";

/** What the runner needs of a flow. */
export interface RunnerFlow extends RunnableFlow {
  readonly locator: FlowLocator | null;
}

/** A validated run: everything checked, the executor resolved. */
export interface RunSetup {
  flow: RunnerFlow;
  plan: GraphPlan;
  parameters: Record<string, unknown>;
  executor: Executor;
  /** What the flow body returned (refs resolved into the result's `value`). */
  returned: unknown;
  flowRunId: string;
  observers: readonly RunObserver[];
  logger: Logger;
  logLevel: LoggerLevel;
  cacheStore: CacheStore;
  cancelGraceMs: number;
  signal: AbortSignal | undefined;
  taskRunIdFor: FlowRunOptions["taskRunIdFor"];
  resume: Iterable<ResumedTaskRun> | undefined;
}

const resumeKey = (key: string, mapIndex: number | null): string => `${key}\u0000${mapIndex ?? ""}`;

export class FlowRunner {
  readonly #s: RunSetup;
  readonly #nodeRuns: NodeRun[];
  readonly #ctx: ResolveContext;
  readonly #queue = new ReadyQueue();
  readonly #readyNodes: NodeRun[] = [];
  readonly #inFlight = new Set<TaskRunRecord>();
  readonly #controller = new AbortController();
  readonly #resumed = new Map<string, ResumedTaskRun>();
  readonly #events: RunEvents;
  readonly #cache: RunCache;
  readonly #maxConcurrency: number;
  #session: ExecutorSession | undefined;
  #finishedNodes = 0;
  #cancelled = false;
  /** Set once every node has its record: cancellation before that waits for it. */
  #recordsReady = false;
  #pumping = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #resolveDone: () => void = () => undefined;
  readonly #done = new Promise<void>((resolve) => (this.#resolveDone = resolve));

  constructor(setup: RunSetup) {
    this.#s = setup;
    this.#events = new RunEvents(setup.flowRunId, setup.flow.name, setup.observers, setup.logger, setup.logLevel);
    this.#cache = new RunCache(setup.flow.name, setup.parameters, setup.cacheStore, this.#events);
    this.#maxConcurrency = Math.max(1, Math.floor(setup.executor.maxConcurrency) || 1);
    for (const r of setup.resume ?? []) {
      if (r.state.name === "Success" || r.state.name === "Skipped") this.#resumed.set(resumeKey(r.taskKey, r.mapIndex), r);
    }
    this.#nodeRuns = setup.plan.nodes.map((node) => new NodeRun(node));
    const byKey = new Map<string, NodeRun>();
    for (const nr of this.#nodeRuns) byKey.set(nr.key, nr);
    this.#ctx = { parameters: setup.parameters, nodeRuns: byKey };
    setup.plan.upstream.forEach((ups, i) => {
      const nr = this.#nodeRuns[i]!;
      nr.pending = ups.length;
      for (const u of ups) nr.upstream.push(this.#nodeRuns[u]!);
      for (const d of setup.plan.downstream[i]!) nr.downstream.push(this.#nodeRuns[d]!);
    });
  }

  async run<R>(): Promise<FlowRunResult<R>> {
    const s = this.#s;
    this.#events.flowState({ name: "Running", message: `Running with the ${s.executor.kind} executor`, timestamp: now() });
    const onAbort = (): void => this.#cancel();
    s.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      try {
        this.#session = await s.executor.start({
          flowRunId: s.flowRunId,
          flow: s.flow,
          locator: s.flow.locator,
          onLog: this.#events.onLog,
          signal: this.#controller.signal,
        });
      } catch (cause) {
        const error = new SluiceError("EXECUTOR_ERROR", `the ${s.executor.kind} executor could not start: ${(cause as Error)?.message ?? String(cause)}`, {
          flowRunId: s.flowRunId,
          kind: s.executor.kind,
          cause,
        });
        this.#events.flowState({ name: "Failed", message: error.message, timestamp: now(), error: serializeError(error) });
        throw error;
      }
      const pending: State = Object.freeze({ name: "Pending", timestamp: now() }) as State; // shared: states are never mutated
      for (const nr of this.#nodeRuns) {
        nr.record = new TaskRunRecord(this.#idFor(nr.key, null), nr, null, pending);
        this.#events.taskState(nr.record);
      }
      this.#recordsReady = true;
      for (const i of s.plan.roots) this.#readyNodes.push(this.#nodeRuns[i]!);
      if (s.signal?.aborted) this.#cancel();
      if (this.#nodeRuns.length === 0) this.#resolveDone();
      this.#pump();
      await this.#done;
      await this.#cache.flush();
    } finally {
      s.signal?.removeEventListener("abort", onAbort);
      clearTimeout(this.#graceTimer);
      try {
        await this.#session?.close();
      } catch (error) {
        this.#events.warn({ err: error }, `closing the ${s.executor.kind} executor failed`);
      }
    }
    const reference = s.plan.reference.map((i) => this.#nodeRuns[i]!);
    const state = finalState(reference, this.#cancelled);
    this.#events.flowState(state);
    return buildResult<R>(s.flow.name, s.flowRunId, state, this.#nodeRuns, this.#ctx, s.returned);
  }

  #setState(record: TaskRunRecord, state: State): void {
    record.state = state;
    this.#events.taskState(record);
  }

  #idFor(key: string, mapIndex: number | null): string {
    const resumed = this.#resumed.size > 0 ? this.#resumed.get(resumeKey(key, mapIndex)) : undefined;
    return resumed?.taskRunId ?? this.#s.taskRunIdFor?.(key, mapIndex) ?? randomId();
  }

  // ---- scheduling ------------------------------------------------------------------------------

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        if (this.#readyNodes.length > 0) {
          // FIFO: evaluating a node may append more (skips and cancellations cascade)
          for (let i = 0; i < this.#readyNodes.length; i++) this.#evaluate(this.#readyNodes[i]!);
          this.#readyNodes.length = 0;
        }
        if (this.#cancelled || this.#inFlight.size >= this.#maxConcurrency || this.#queue.size === 0) break;
        this.#start(this.#queue.pop()!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** A node whose upstream all finished: gate it, expand it if mapped, queue its runs. */
  #evaluate(nr: NodeRun): void {
    if (nr.finished) return;
    if (this.#cancelled) return this.#endNode(nr, { name: "Cancelled", message: "Not run: the flow run was cancelled", timestamp: now() });
    if (!nr.node.mapped) {
      const resumed = this.#resumed.size > 0 ? this.#resumed.get(resumeKey(nr.key, null)) : undefined;
      if (resumed) return this.#endNode(nr, resumed.state);
      const states: State[] = [];
      for (const u of nr.upstream) u.statesForDownstream(states);
      const stop = gate(nr.task.options, states);
      if (stop) return this.#endNode(nr, stop);
      this.#queue.push(nr.record);
      return;
    }
    const m = planMapping(nr, this.#ctx);
    if (!m.ok) return this.#endNode(nr, m.state);
    nr.mapping = m.plan;
    nr.elementwise = m.elementwise;
    const whole: State[] = [];
    for (const u of nr.upstream) if (!m.elementwise.includes(u)) u.statesForDownstream(whole);
    this.#setState(nr.record, { name: "Mapped", message: `Mapped over ${m.count} element${m.count === 1 ? "" : "s"}`, timestamp: now(), mapCount: m.count });
    const children = new Array<TaskRunRecord>(m.count);
    nr.children = children;
    nr.unfinishedChildren = m.count;
    const pending: State = Object.freeze({ name: "Pending", timestamp: now() }) as State;
    const sharedStop = m.elementwise.length === 0 ? gate(nr.task.options, whole) : undefined;
    const options = nr.task.options;
    for (let i = 0; i < m.count; i++) {
      const child = new TaskRunRecord(this.#idFor(nr.key, i), nr, i, pending);
      children[i] = child;
      this.#events.taskState(child);
      const resumed = this.#resumed.size > 0 ? this.#resumed.get(resumeKey(nr.key, i)) : undefined;
      const stop = resumed?.state ?? (sharedStop !== undefined ? sharedStop : gate(options, [...whole, ...m.elementwise.map((u) => u.children![i]!.state)]));
      if (stop) {
        this.#setState(child, stop);
        nr.unfinishedChildren--;
      } else {
        this.#queue.push(child);
      }
    }
    if (nr.unfinishedChildren === 0) this.#finishNode(nr);
  }

  #endNode(nr: NodeRun, state: State): void {
    this.#setState(nr.record, state);
    this.#finishNode(nr);
  }

  #finishNode(nr: NodeRun): void {
    if (nr.finished) return;
    nr.finished = true;
    for (const d of nr.downstream) if (--d.pending === 0) this.#readyNodes.push(d);
    if (++this.#finishedNodes === this.#nodeRuns.length) this.#resolveDone();
  }

  #finishRecord(record: TaskRunRecord): void {
    const nr = record.nodeRun;
    if (record.mapIndex === null || --nr.unfinishedChildren === 0) this.#finishNode(nr);
  }

  #start(record: TaskRunRecord): void {
    record.inFlight = true;
    this.#inFlight.add(record);
    const nr = record.nodeRun;
    let input: unknown;
    try {
      input = record.mapIndex === null ? plainInput(nr, this.#ctx) : childInput(nr.mapping!, record.mapIndex);
    } catch (error) {
      this.#settle(record, { kind: "failed", error: serializeError(error), noRetry: true });
      return;
    }
    if (nr.task.options.cache && record.attempts === 0) void this.#startCached(record, input);
    else this.#submit(record, input);
  }

  /** First attempt of a cached task: a hit ends the run, a miss submits the attempt. */
  async #startCached(record: TaskRunRecord, input: unknown): Promise<void> {
    const entry = await this.#cache.lookup(record, input);
    if (entry) this.#settle(record, { kind: "cached", result: entry.value });
    else if (this.#cancelled) this.#settle(record, { kind: "cancelled", message: "Not run: the flow run was cancelled" });
    else this.#submit(record, input);
  }

  /** One attempt through the executor; its outcome settles the run. */
  #submit(record: TaskRunRecord, input: unknown): void {
    const s = this.#s;
    const nr = record.nodeRun;
    record.attempts++;
    this.#setState(record, { name: "Running", timestamp: now(), attempt: record.attempts });
    const request: TaskRunRequest = {
      flowName: s.flow.name,
      flowRunId: s.flowRunId,
      taskRunId: record.id,
      taskKey: nr.key,
      taskName: nr.task.name,
      mapIndex: record.mapIndex,
      attempt: record.attempts,
      input,
      parameters: s.parameters,
      timeoutMs: nr.task.options.timeoutMs,
    };
    let outcome: Promise<TaskAttemptOutcome>;
    try {
      outcome = this.#session!.submit(request, this.#controller.signal);
    } catch (cause) {
      outcome = Promise.reject(cause as Error);
    }
    outcome.then(
      (o) => this.#settle(record, o),
      (cause: unknown) => {
        const error = new SluiceError(
          "EXECUTOR_ERROR",
          `the ${s.executor.kind} executor failed to run task "${nr.key}": ${(cause as Error)?.message ?? String(cause)}`,
          {
            flowRunId: s.flowRunId,
            taskRunId: record.id,
            kind: s.executor.kind,
            cause,
          },
        );
        this.#settle(record, { kind: "failed", error: serializeError(error) });
      },
    );
  }

  /** Turns an attempt's outcome into the run's next state. */
  #settle(record: TaskRunRecord, outcome: TaskAttemptOutcome | { kind: "cached"; result: unknown }): void {
    if (!record.inFlight) return; // already ended by a cancellation grace
    record.inFlight = false;
    this.#inFlight.delete(record);
    const options = record.nodeRun.task.options;
    const attempt = record.attempts;
    const canRetry = !this.#cancelled && attempt - record.forcedRetries <= options.retries;
    switch (outcome.kind) {
      case "cached":
        this.#end(record, { name: "Success", message: "Result taken from the cache", timestamp: now(), result: outcome.result, cached: true });
        break;
      case "success":
        this.#end(record, { name: "Success", timestamp: now(), result: outcome.result, attempt });
        if (options.cache) {
          const nr = record.nodeRun;
          this.#cache.store(record, record.mapIndex === null ? plainInput(nr, this.#ctx) : childInput(nr.mapping!, record.mapIndex), outcome.result);
        }
        break;
      case "failed":
        if (canRetry && !outcome.noRetry) this.#retry(record, retryDelay(options, attempt - record.forcedRetries), outcome.error.message, outcome.error);
        else
          this.#end(record, {
            name: this.#cancelled ? "Cancelled" : "Failed",
            message: outcome.error.message,
            timestamp: now(),
            error: outcome.error,
            attempt,
          });
        break;
      case "retry":
        // A retry signal grants one more attempt without using up `retries` (bounded by MAX_FORCED_RETRIES).
        if (!this.#cancelled && record.forcedRetries < MAX_FORCED_RETRIES) {
          const delay = outcome.delayMs ?? retryDelay(options, Math.max(1, attempt - record.forcedRetries));
          record.forcedRetries++;
          this.#retry(record, delay, outcome.error.message, outcome.error);
        } else {
          const message = this.#cancelled
            ? "Cancelled: the flow run was cancelled"
            : `Failed: retry requested again after ${MAX_FORCED_RETRIES} requested retries, beyond the limit (${outcome.error.message})`;
          this.#end(record, { name: this.#cancelled ? "Cancelled" : "Failed", message, timestamp: now(), error: outcome.error, attempt });
        }
        break;
      case "timedOut":
        if (canRetry && options.retryOnTimeout) this.#retry(record, retryDelay(options, attempt - record.forcedRetries), outcome.message);
        else {
          const error = serializeError(new SluiceError("TASK_TIMED_OUT", outcome.message, { taskRunId: record.id, flowRunId: this.#s.flowRunId }));
          this.#end(record, { name: "TimedOut", message: outcome.message, timestamp: now(), error, attempt });
        }
        break;
      case "skipped":
        this.#end(record, { name: "Skipped", message: outcome.message, timestamp: now(), attempt });
        break;
      case "cancelled": {
        const error = serializeError(new SluiceError("CANCELLED", outcome.message, { taskRunId: record.id, flowRunId: this.#s.flowRunId }));
        this.#end(record, { name: "Cancelled", message: outcome.message, timestamp: now(), error, attempt });
        break;
      }
    }
    this.#pump();
  }

  #end(record: TaskRunRecord, state: State): void {
    this.#setState(record, state);
    this.#finishRecord(record);
  }

  #retry(record: TaskRunRecord, delayMs: number, reason: string, error?: State["error"]): void {
    const options = record.nodeRun.task.options;
    const next = record.attempts + 1;
    const max = options.retries + 1 + record.forcedRetries;
    const state: State = {
      name: "Retrying",
      message: `Retrying in ${delayMs} ms (attempt ${next} of ${max}): ${reason}`,
      timestamp: now(),
      attempt: record.attempts,
      retryAt: new Date(Date.now() + delayMs).toISOString(),
    };
    if (error) state.error = error;
    this.#setState(record, state);
    if (this.#cancelled) return; // an observer cancelled the run on this state: the record is already Cancelled
    if (delayMs <= 0) {
      this.#queue.push(record);
      return;
    }
    record.timer = setTimeout(() => {
      record.timer = undefined;
      if (this.#cancelled) return;
      this.#queue.push(record);
      this.#pump();
    }, delayMs);
  }

  // ---- cancellation ----------------------------------------------------------------------------

  #cancel(): void {
    if (!this.#recordsReady || this.#cancelled || this.#finishedNodes === this.#nodeRuns.length) return;
    this.#cancelled = true;
    this.#controller.abort(new SluiceError("CANCELLED", `flow run ${this.#s.flowRunId} was cancelled`, { flowRunId: this.#s.flowRunId }));
    this.#queue.drain();
    const cancelled = (): State => ({
      name: "Cancelled",
      message: "Not run: the flow run was cancelled",
      timestamp: now(),
      error: serializeError(new SluiceError("CANCELLED", "the flow run was cancelled")),
    });
    for (const nr of this.#nodeRuns) {
      if (nr.finished) continue;
      const records = nr.children ?? [nr.record];
      for (const r of records) {
        if (r.inFlight || isFinished(r.state)) continue;
        clearTimeout(r.timer);
        this.#setState(r, cancelled());
        this.#finishRecord(r);
      }
    }
    if (this.#inFlight.size > 0) {
      this.#graceTimer = setTimeout(() => this.#abandonInFlight(), this.#s.cancelGraceMs);
    }
    this.#pump();
  }

  /** After the grace: runs still in flight end Cancelled; their late outcomes are ignored. */
  #abandonInFlight(): void {
    for (const r of [...this.#inFlight]) {
      r.inFlight = false;
      this.#inFlight.delete(r);
      const message = `Cancelled: the task did not stop within ${this.#s.cancelGraceMs} ms of the cancellation`;
      this.#end(r, { name: "Cancelled", message, timestamp: now(), attempt: r.attempts, error: serializeError(new SluiceError("CANCELLED", message)) });
    }
    this.#pump();
  }
}
