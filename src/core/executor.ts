/**
 * The Executor seam: HOW the task runs of one flow run execute (in order, concurrently, in worker
 * threads, on a distributed queue). An executor runs ONE attempt of one task run and returns its
 * outcome; the flow runner owns everything else (the DAG, triggers, retries and their delays, mapping,
 * caching, states). An executor knows nothing of how a flow's code is laid out: in-process executors
 * get the loaded flow, out-of-process ones get a FlowLocator and load it with the same loading path.
 */
import type { SerializedError } from "./errors.js";
import type { LogRecord } from "./events.js";

/** JSON-compatible values: what may cross a process boundary. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** How another thread or process finds a flow: import `module`, take the flow named `flowName`. */
export interface FlowLocator {
  /** Absolute path or file: URL of the module that defines the flow, or an installed package specifier. */
  module: string;
  /** The flow's name (a module may define several flows). */
  flowName: string;
}

/** One attempt of one task run, as sent to an executor. Everything here is JSON-serializable. */
export interface TaskRunRequest {
  flowName: string;
  flowRunId: string;
  taskRunId: string;
  /** Stable key of the task's node in the flow's graph (the same in every process that loads the flow). */
  taskKey: string;
  taskName: string;
  /** Index in the parent's list for a mapped child; null otherwise. */
  mapIndex: number | null;
  /** 1-based attempt number. */
  attempt: number;
  /** The task's argument, upstream results already resolved. */
  input: unknown;
  /** The flow run's validated parameters. */
  parameters: Record<string, unknown>;
  /** End the attempt as TimedOut after this long; null: no limit. */
  timeoutMs: number | null;
}

/** How an attempt ended. The runner turns it into states (and retries). */
export type TaskAttemptOutcome =
  | { kind: "success"; result: unknown }
  /** `noRetry`: the task ended itself with a fail signal (or its input is invalid): no retry, whatever `retries` says. */
  | { kind: "failed"; error: SerializedError; noRetry?: boolean }
  /** The task threw a retry signal: a failed attempt that asks to be retried (after delayMs if given), even when no `retries` are left. */
  | { kind: "retry"; error: SerializedError; delayMs?: number }
  | { kind: "skipped"; message: string }
  | { kind: "timedOut"; message: string }
  | { kind: "cancelled"; message: string };

/** What a task's code sees of the flow, for in-process executors. Implemented by the core's Flow. */
export interface RunnableFlow {
  readonly name: string;
  /**
   * Runs one attempt of the task at `request.taskKey` in this process: builds the task's context
   * (logger, signal, run ids), applies the timeout, and maps thrown signals and errors to an outcome.
   * Never throws.
   */
  runTaskAttempt(request: TaskRunRequest, signal: AbortSignal, onLog: (record: LogRecord) => void): Promise<TaskAttemptOutcome>;
}

export interface ExecutorStartOptions {
  flowRunId: string;
  /** The flow, loaded in this process. */
  flow: RunnableFlow;
  /** How other threads/processes load the same flow; null when it cannot be loaded elsewhere. */
  locator: FlowLocator | null;
  /** Where task log records go (the runner forwards them to observers). */
  onLog: (record: LogRecord) => void;
  /** Aborted when the flow run is cancelled: running attempts should end as "cancelled". */
  signal: AbortSignal;
}

/** A started executor for one flow run. */
export interface ExecutorSession {
  /** Runs one attempt. Resolves with the outcome; rejects only if the executor itself broke (EXECUTOR_ERROR). */
  submit(request: TaskRunRequest, signal: AbortSignal): Promise<TaskAttemptOutcome>;
  /** Releases threads, connections, queues. Idempotent. */
  close(): Promise<void>;
}

export interface Executor {
  /** Registry kind: "local" | "concurrent" | "workers" | "distributed" | a custom kind. */
  readonly kind: string;
  /** How many task attempts may be in flight at once; the runner never submits more. */
  readonly maxConcurrency: number;
  /** Starts a session for one flow run. */
  start(options: ExecutorStartOptions): Promise<ExecutorSession>;
  /** The executor's kind and options as JSON (never secrets), e.g. to log or to recreate it in a worker. */
  describe(): { kind: string; options: JsonObject };
}

/** True for objects that implement the Executor contract (used to reject anything else with a TypeError). */
export function isExecutor(value: unknown): value is Executor {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Executor).kind === "string" &&
    typeof (value as Executor).start === "function" &&
    typeof (value as Executor).describe === "function"
  );
}
