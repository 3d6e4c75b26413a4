/**
 * What a task's function receives as its second argument: the run context, a logger and an AbortSignal.
 * The context is built per attempt by `runTaskAttempt`, in whichever thread or process runs the task; the
 * logger is created on first use, so tasks that do not log cost nothing.
 */
import { isoNow } from "./clock.js";
import type { LogLevel, LogRecord } from "./events.js";
import type { TaskRunRequest } from "./executor.js";

/** A task's logger. Records go to the flow run's observers and to the run's pino logger (stderr). */
export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The run context of one task attempt. */
export interface TaskContext {
  readonly flowName: string;
  readonly flowRunId: string;
  readonly taskRunId: string;
  /** The task's node key in the flow's graph (`name`, `name-2`, ...). */
  readonly taskKey: string;
  readonly taskName: string;
  /** Index in the mapped list for a mapped child; null otherwise. */
  readonly mapIndex: number | null;
  /** 1-based attempt number. */
  readonly attempt: number;
  /** The flow run's validated parameters. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Aborted when the flow run is cancelled or the attempt times out. Long-running tasks should watch it. */
  readonly signal: AbortSignal;
  readonly logger: TaskLogger;
}

/** The fields of a context that come from the run request: all of them but the signal and the logger. */
export type TaskContextFields = Pick<TaskRunRequest, Exclude<keyof TaskContext, "signal" | "logger">>;

class BoundTaskLogger implements TaskLogger {
  constructor(
    private readonly ctx: TaskContextFields,
    private readonly onLog: (record: LogRecord) => void,
  ) {}

  #emit(level: LogLevel, message: unknown, fields: unknown): void {
    // Accept pino's (fields, message) order too.
    if (typeof message !== "string" && typeof fields === "string") [message, fields] = [fields, message];
    const record: LogRecord = {
      level,
      message: typeof message === "string" ? message : String(message),
      timestamp: isoNow(),
      flowRunId: this.ctx.flowRunId,
      taskRunId: this.ctx.taskRunId,
      taskName: this.ctx.taskName,
      mapIndex: this.ctx.mapIndex,
    };
    if (fields && typeof fields === "object") record.fields = fields as Record<string, unknown>;
    try {
      this.onLog(record);
    } catch {
      // a broken log sink must not fail the task
    }
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#emit("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.#emit("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.#emit("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.#emit("error", message, fields);
  }
}

/**
 * The context of one attempt. A class that assigns its fields one by one in its constructor: every context
 * then has the same shape, which keeps the runner's and the task's accesses monomorphic (an object literal
 * with a spread and a getter doubled the runner's per-task overhead, W1 3 → 6 µs).
 */
class TaskContextImpl implements TaskContext {
  #logger: TaskLogger | undefined;
  readonly flowName: string;
  readonly flowRunId: string;
  readonly taskRunId: string;
  readonly taskKey: string;
  readonly taskName: string;
  readonly mapIndex: number | null;
  readonly attempt: number;
  readonly parameters: Readonly<Record<string, unknown>>;

  constructor(
    request: TaskContextFields,
    readonly signal: AbortSignal,
    private readonly onLog: (record: LogRecord) => void,
  ) {
    // Copied one by one: the context holds these fields only, not the request's input or timeout.
    this.flowName = request.flowName;
    this.flowRunId = request.flowRunId;
    this.taskRunId = request.taskRunId;
    this.taskKey = request.taskKey;
    this.taskName = request.taskName;
    this.mapIndex = request.mapIndex;
    this.attempt = request.attempt;
    this.parameters = request.parameters;
  }

  get logger(): TaskLogger {
    return (this.#logger ??= new BoundTaskLogger(this, this.onLog));
  }
}

/** Builds the context of one attempt (the logger is created on first use). */
export function createTaskContext(request: TaskContextFields, signal: AbortSignal, onLog: (record: LogRecord) => void): TaskContext {
  return new TaskContextImpl(request, signal, onLog);
}
