/**
 * States of flow runs and task runs. A state is a plain, serializable record: it crosses process
 * boundaries (worker threads, Redis, the HTTP API, the database) as JSON.
 */
import { isoNow } from "./clock.js";
import type { SerializedError } from "./errors.js";

/** Every state a flow run or task run can be in. */
export const STATE_NAMES = [
  "Pending",
  "Scheduled",
  "Submitted",
  "Running",
  "Retrying",
  "Success",
  "Failed",
  "TriggerFailed",
  "Skipped",
  "Cancelled",
  "TimedOut",
  "Mapped",
] as const;

export type StateName = (typeof STATE_NAMES)[number];

/** States after which nothing more happens to a run (Mapped: the children carry on). */
export const FINISHED_STATES: ReadonlySet<StateName> = new Set<StateName>(["Success", "Failed", "TriggerFailed", "Skipped", "Cancelled", "TimedOut", "Mapped"]);

/** Finished states that count as a failure for triggers and for the flow's final state. */
export const FAILED_STATES: ReadonlySet<StateName> = new Set<StateName>(["Failed", "TriggerFailed", "TimedOut", "Cancelled"]);

/** Finished states that count as a success for triggers: Skipped (the task chose not to run) and Mapped too. */
export const SUCCESSFUL_STATES: ReadonlySet<StateName> = new Set<StateName>(["Success", "Skipped", "Mapped"]);

export interface State<T = unknown> {
  name: StateName;
  /** Human-readable reason, e.g. "Retrying in 2000 ms (attempt 2 of 3)". */
  message?: string;
  /** When this state was entered (ISO 8601, UTC). */
  timestamp: string;
  /** Result of a Success state (must be JSON-serializable when it crosses a process boundary). */
  result?: T;
  /** Error of a Failed / TimedOut / TriggerFailed / Cancelled state. */
  error?: SerializedError;
  /** Attempt number (1-based) for task run states. */
  attempt?: number;
  /** For Retrying: when the next attempt starts (ISO 8601). */
  retryAt?: string;
  /** For Scheduled: when the run should start (ISO 8601). */
  scheduledAt?: string;
  /** For Mapped: how many child runs were created. */
  mapCount?: number;
  /** True when the result came from the cache. */
  cached?: boolean;
}

export function makeState<T = unknown>(name: StateName, fields: Omit<State<T>, "name" | "timestamp"> & { timestamp?: string } = {}): State<T> {
  return { ...fields, name, timestamp: fields.timestamp ?? isoNow() };
}

export const isFinished = (s: State | StateName): boolean => FINISHED_STATES.has(typeof s === "string" ? s : s.name);
export const isFailed = (s: State | StateName): boolean => FAILED_STATES.has(typeof s === "string" ? s : s.name);
export const isSuccessful = (s: State | StateName): boolean => SUCCESSFUL_STATES.has(typeof s === "string" ? s : s.name);
export const isStateName = (v: unknown): v is StateName => typeof v === "string" && (STATE_NAMES as readonly string[]).includes(v);
