/**
 * Values crossing Redis: checked for JSON (the shared serializability check of the workers executor,
 * in "json" mode, so errors name the task and the path), serialized once, and moved to the result store
 * when larger than the threshold. Used by the executor (inputs) and by workers (results).
 */
import { serializeError, SluiceError } from "../../core/errors.js";
import type { LogRecord } from "../../core/events.js";
import type { TaskAttemptOutcome, TaskRunRequest } from "../../core/executor.js";
import type { ResultRef, ResultStore } from "../../storage/results/index.js";
import { findUnserializable, notSerializable } from "../workers/serializable.js";
import type { WireOutcome } from "./protocol.js";

type TaskNames = Pick<TaskRunRequest, "taskName" | "mapIndex" | "taskRunId" | "flowRunId">;

/** The NOT_SERIALIZABLE outcome when `value` (named `root`) is not JSON data, else null. */
export function jsonProblem(value: unknown, root: string, task: TaskNames): TaskAttemptOutcome | null {
  const problem = findUnserializable(value, "json", root);
  if (!problem) return null;
  const error = notSerializable(problem, { ...task, executor: "distributed" });
  return { kind: "failed", error: serializeError(error), noRetry: true };
}

/** UTF-8 size of a string, computed only when it could exceed `limit`. */
export function exceeds(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return Buffer.byteLength(text, "utf8") > limit;
}

/** A value as it travels: inline (JSON-compatible as it is) or as a ref to its JSON in the store. */
export type Carried = { inline: unknown } | { ref: ResultRef } | { none: true };

/** Stores `value` when its JSON exceeds `threshold`; else carries it inline. `value` must have passed jsonProblem. */
export async function carry(value: unknown, store: ResultStore, key: string, threshold: number): Promise<Carried> {
  if (value === undefined) return { none: true };
  const json = JSON.stringify(value);
  if (json === undefined) return { none: true };
  if (!exceeds(json, threshold)) return { inline: value };
  return { ref: await store.put(key, json) };
}

/** The value a ref points to. */
export async function fetchCarried(ref: ResultRef, store: ResultStore): Promise<unknown> {
  const text = await store.get(ref);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new SluiceError("STORAGE_ERROR", `result store (${store.kind}): the value at ${ref.key} is not valid JSON (${(cause as Error).message})`, {
      field: "key",
      value: ref.key,
      cause,
    });
  }
}

/** Worker side: an attempt's outcome as the JSON text sent on the `out` stream (large results stored). */
export async function encodeOutcome(outcome: TaskAttemptOutcome, task: TaskNames, store: ResultStore, key: string, threshold: number): Promise<string> {
  if (outcome.kind !== "success") return JSON.stringify(outcome);
  const invalid = jsonProblem(outcome.result, "result", task);
  if (invalid) return JSON.stringify(invalid);
  if (outcome.result === undefined) return '{"kind":"success"}';
  const json = JSON.stringify(outcome.result);
  if (!exceeds(json, threshold)) return `{"kind":"success","value":${json}}`;
  const ref = await store.put(key, json);
  return JSON.stringify({ kind: "success", ref } satisfies WireOutcome);
}

/** Executor side: the outcome from its wire form, or the ref its result must be fetched from. */
export function decodeOutcome(text: string): TaskAttemptOutcome | { kind: "stored"; ref: ResultRef } {
  const wire = JSON.parse(text) as WireOutcome;
  if (wire.kind !== "success") return wire;
  if (wire.ref !== undefined) return { kind: "stored", ref: wire.ref };
  return { kind: "success", result: wire.value };
}

/** A log record as JSON text; fields that JSON cannot hold are turned into text instead of failing. */
export function encodeLog(record: LogRecord): string {
  try {
    return JSON.stringify(record, (_key, v: unknown) => (typeof v === "function" ? `[function ${v.name}]` : typeof v === "bigint" ? String(v) : v));
  } catch {
    return JSON.stringify({ ...record, fields: { unprintable: "the log fields could not be sent as JSON (a circular reference?)" } });
  }
}
