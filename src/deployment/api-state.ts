/**
 * Core states and log records in the shape the API takes. Pure functions: what a deployed run sends is
 * decided here, tested with plain objects.
 *
 * A task's result travels with its Success state only when it is JSON and small (RESULT_LIMIT_BYTES):
 * a rescheduled run then reuses it instead of running the task again. A result left out is marked in the
 * state's message (RESULT_NOT_RECORDED), so a later attempt knows to run that task again.
 */
import type { StateInput } from "../client/index.js";
import type { LogInput } from "../client/index.js";
import type { SerializedError } from "../core/errors.js";
import type { LogRecord } from "../core/events.js";
import type { State } from "../core/states.js";

/** Largest result (as JSON text) sent with a state. */
export const RESULT_LIMIT_BYTES = 64 * 1024;
/** Start of the message of a Success state whose result was not sent. */
export const RESULT_NOT_RECORDED = "Result not recorded on the server";

const MESSAGE_LIMIT = 20_000;
const LOG_MESSAGE_LIMIT = 100_000;
const STACK_LIMIT = 10_000;

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 20)}… (${text.length} chars)`);

function errorForApi(error: SerializedError, depth = 0): SerializedError {
  const out: SerializedError = { name: error.name, message: cut(error.message, MESSAGE_LIMIT) };
  if (error.stack !== undefined) out.stack = cut(error.stack, STACK_LIMIT);
  if (error.code !== undefined) out.code = error.code;
  if (error.field !== undefined) out.field = error.field;
  if (error.cause !== undefined && depth < 4) out.cause = errorForApi(error.cause, depth + 1);
  return out;
}

/** The result as JSON when it can travel; otherwise why not. */
export function resultForApi(result: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (error) {
    return { ok: false, reason: `it is not JSON (${(error as Error).message})` };
  }
  if (text === undefined) return { ok: false, reason: "it is not JSON" };
  if (text.length > RESULT_LIMIT_BYTES) return { ok: false, reason: `it is ${text.length} characters of JSON (the limit is ${RESULT_LIMIT_BYTES})` };
  return { ok: true, value: JSON.parse(text) as unknown };
}

/** A core state as the API takes it: known fields only, long texts cut, the result only when it can travel. */
export function stateForApi(state: State): StateInput {
  const out: StateInput = { name: state.name, timestamp: state.timestamp };
  let message = state.message;
  if (state.result !== undefined) {
    const result = resultForApi(state.result);
    if (result.ok) out.result = result.value;
    else if (state.name === "Success") message = `${RESULT_NOT_RECORDED}: ${result.reason}.${message ? ` ${message}` : ""}`;
  }
  if (message !== undefined) out.message = cut(message, MESSAGE_LIMIT);
  if (state.error !== undefined) out.error = errorForApi(state.error);
  if (state.attempt !== undefined) out.attempt = state.attempt;
  if (state.retryAt !== undefined) out.retryAt = state.retryAt;
  if (state.scheduledAt !== undefined) out.scheduledAt = state.scheduledAt;
  if (state.mapCount !== undefined) out.mapCount = state.mapCount;
  if (state.cached !== undefined) out.cached = state.cached;
  return out;
}

/** True when a Success state recorded on the server carries the task's result (or the task had none). */
export const resultRecorded = (state: Pick<State, "name" | "message">): boolean => !(state.message ?? "").startsWith(RESULT_NOT_RECORDED);

/** A run's log record as the API takes it; `taskRunId` is the server's id of its task run, when known. */
export function logForApi(record: LogRecord, taskRunId: string | undefined): LogInput {
  const fields: Record<string, unknown> = { ...record.fields };
  if (record.taskName !== undefined) fields.taskName = record.taskName;
  if (record.mapIndex !== undefined && record.mapIndex !== null) fields.mapIndex = record.mapIndex;
  const out: LogInput = { flowRunId: record.flowRunId, level: record.level, message: cut(record.message, LOG_MESSAGE_LIMIT), timestamp: record.timestamp };
  if (taskRunId !== undefined) out.taskRunId = taskRunId;
  if (Object.keys(fields).length > 0) out.fields = jsonFields(fields);
  return out;
}

/** Fields as JSON (a value that is not JSON is replaced by its description, never dropped silently). */
function jsonFields(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
  } catch {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      try {
        out[key] = JSON.parse(JSON.stringify(value) ?? "null") as unknown;
      } catch {
        out[key] = `[not JSON: ${typeof value}]`;
      }
    }
    return out;
  }
}
