/**
 * Options of `flow.run(options)` and the typed result of a run. They describe one run, so they know
 * nothing of environments or storage: the contracts of those import them without a cycle.
 */
import type { Logger } from "pino";
import type { CacheStore } from "./cache.js";
import type { RunObserver } from "./events.js";
import type { Executor } from "./executor.js";
import type { Ref, Resolved } from "./ref.js";
import type { State } from "./states.js";

/** An executor object, or a registry kind: "local" | "concurrent" | "workers" | "distributed" | ... */
export type ExecutorSpec = Executor | string;

/** A task run of a finished flow run, already Success or Skipped, to reuse instead of running it again. */
export interface ResumedTaskRun {
  taskKey: string;
  mapIndex: number | null;
  state: State;
  taskRunId?: string;
}

export interface FlowRunOptions<PIn = Record<string, unknown>> {
  /** Parameter values; validated against the flow's schema (defaults applied). @default {} */
  parameters?: PIn;
  /** Executor object or kind. @default the flow's executor, else "local" */
  executor?: ExecutorSpec;
  /** Aborting it cancels the run: running tasks see `ctx.signal` aborted and end Cancelled. @default undefined */
  signal?: AbortSignal;
  /** Get every state change and log record, in order. @default [] */
  observers?: readonly RunObserver[];
  /** The flow run's id (e.g. given by the server). @default a random UUID */
  flowRunId?: string;
  /** Ids for task runs (e.g. created beforehand by the server); undefined: a random UUID. @default undefined */
  taskRunIdFor?: (taskKey: string, mapIndex: number | null) => string | undefined;
  /** Task runs of an earlier attempt of this flow run: those Success or Skipped are not run again. @default [] */
  resume?: Iterable<ResumedTaskRun>;
  /** Minimum level of log lines (runner and tasks) written to stderr and given to observers. @default the `logger`'s level if given, else "info" */
  logLevel?: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** A pino logger to write to instead of the default one (stderr). @default createLogger({ level: logLevel }) */
  logger?: Logger;
  /** Where cached task results live when a task's cache names no store. @default the process-wide memory store */
  cacheStore?: CacheStore;
  /** After cancellation, how long running tasks get to stop before they are marked Cancelled anyway, in ms. @default 2000 */
  cancelGraceMs?: number;
}

/** One task run of a flow run, as reported in its result. */
export interface TaskRunSummary {
  taskRunId: string;
  taskKey: string;
  taskName: string;
  /** Index in the mapped list for a mapped child; null otherwise (including a mapped parent). */
  mapIndex: number | null;
  /** The final state. */
  state: State;
  /** How many times the task was called (0 when it did not run: skipped, trigger failed, cached). */
  attempts: number;
}

/** The typed result of `flow.run()`. */
export interface FlowRunResult<R = unknown> {
  flowRunId: string;
  flowName: string;
  /** The flow run's final state: Success, Failed or Cancelled. */
  state: State;
  /** Every task run, ordered by task definition order then map index (a mapped parent before its children). */
  taskRuns: TaskRunSummary[];
  /** What the flow body returned, refs replaced by results (undefined where a task has no result). */
  value: Resolved<R> | undefined;
  /** The result of a node (the list of children's results for a mapped node), or a parameter's value. */
  result<T>(ref: Ref<T>): T | undefined;
  /** The run of a node by key or ref (with mapIndex: that mapped child). */
  taskRun(node: string | Ref, mapIndex?: number | null): TaskRunSummary | undefined;
}
