/**
 * What the parent thread and a worker thread say to each other. A task goes to the pool as a
 * WorkerTask and comes back as a WorkerReply. Logs and cancellations travel on a BroadcastChannel
 * named per session, tagged with the submit id, so they flow while the task runs.
 */
import type { LogRecord } from "../../core/events.js";
import type { FlowLocator, TaskAttemptOutcome, TaskRunRequest } from "../../core/executor.js";

export interface WorkerTask {
  /** How the worker loads the flow (once per thread). */
  locator: FlowLocator;
  /** The directory relative module paths are resolved from. */
  cwd: string;
  request: TaskRunRequest;
  /** Name of the session's BroadcastChannel. */
  channel: string;
  /** Unique per submit in a session. */
  submitId: number;
}

export interface WorkerReply {
  outcome: TaskAttemptOutcome;
  /** How many log messages the worker posted for this submit (the parent waits for all of them). */
  logs: number;
}

/** Worker → parent: a task's log record. */
export interface LogMessage {
  type: "log";
  submitId: number;
  record: LogRecord;
}

/** Parent → workers: stop the attempt of this submit (its AbortSignal is aborted). */
export interface CancelMessage {
  type: "cancel";
  submitId: number;
}

/** Parent → workers: the session ended; drop its channel. */
export interface CloseMessage {
  type: "close";
}

export type ChannelMessage = LogMessage | CancelMessage | CloseMessage;
