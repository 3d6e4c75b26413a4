/**
 * Checks that a value can cross a process or thread boundary before it is sent, so the error names the
 * task and the offending path ("input.client is a function") instead of a DataCloneError from deep
 * inside postMessage, or a silent loss of data (a class instance arriving as a plain object).
 *
 * Two modes:
 * - "structured-clone" (worker threads): what postMessage copies faithfully: primitives (bigint too),
 *   plain objects, arrays, Date, RegExp, Map, Set, ArrayBuffer and views, Error; cycles are allowed.
 * - "json" (queues, HTTP): JSON values only: finite numbers, strings, booleans, null, plain objects and
 *   arrays; `undefined` is allowed where JSON drops it (object fields, the top level). No cycles.
 *
 * Used by the workers executor and by the distributed executor.
 */
import { SluiceError } from "../../core/errors.js";

export type SerializationMode = "structured-clone" | "json";

/** Where and why a value cannot be serialized. */
export interface SerializationProblem {
  /** Dotted path from the root, e.g. "input.client" or "result[3].when". */
  path: string;
  /** What is wrong, e.g. "is a function". */
  reason: string;
}

const CLONEABLE_CLASSES: readonly (abstract new (...args: never[]) => unknown)[] = [Date, RegExp, ArrayBuffer, DataView, Error, Boolean, Number, String];

function typeName(value: object): string {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : "an object with a custom prototype";
}

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

const join = (path: string, key: string | number): string =>
  typeof key === "number" ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/**
 * The first part of `value` that cannot be sent in `mode`, or null when all of it can.
 * `root` names the value in the path ("input", "result", "parameters").
 */
export function findUnserializable(value: unknown, mode: SerializationMode, root = "value"): SerializationProblem | null {
  const seen = new Set<object>();
  const ancestors = new Set<object>();

  const visit = (v: unknown, path: string, inContainer: "object" | "array" | "top"): SerializationProblem | null => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return null;
      case "number":
        return mode === "json" && !Number.isFinite(v) ? { path, reason: `is ${v}, which JSON turns into null` } : null;
      case "undefined":
        return mode === "json" && inContainer === "array" ? { path, reason: "is undefined, which JSON turns into null in a list" } : null;
      case "bigint":
        return mode === "json" ? { path, reason: "is a bigint, which JSON cannot hold (convert it to a string)" } : null;
      case "function":
        return { path, reason: `is a function${v.name ? ` (${v.name})` : ""}; functions cannot be copied to another thread or process` };
      case "symbol":
        return { path, reason: "is a symbol; symbols cannot be copied to another thread or process" };
      case "object":
        break;
    }
    if (v === null) return null;
    const obj = v as object;
    if (mode === "json" && ancestors.has(obj)) return { path, reason: "is a circular reference, which JSON cannot hold" };
    if (seen.has(obj) && mode === "structured-clone") return null;
    seen.add(obj);
    if (Array.isArray(obj)) {
      ancestors.add(obj);
      for (let i = 0; i < obj.length; i++) {
        const problem = visit(obj[i], join(path, i), "array");
        if (problem) return problem;
      }
      ancestors.delete(obj);
      return null;
    }
    if (!isPlainObject(obj)) {
      if (mode === "json") {
        return {
          path,
          reason: `is ${obj instanceof Date ? "a Date, which JSON turns into a string (send date.toISOString())" : `a ${typeName(obj)} instance; only plain objects, lists, strings, finite numbers, booleans and null can be sent as JSON`}`,
        };
      }
      if (obj instanceof Map) {
        let i = 0;
        for (const [k, item] of obj) {
          const problem = visit(k, `${path}<key ${i}>`, "object") ?? visit(item, join(path, typeof k === "string" ? k : i), "object");
          if (problem) return problem;
          i++;
        }
        return null;
      }
      if (obj instanceof Set) {
        let i = 0;
        for (const item of obj) {
          const problem = visit(item, `${path}<item ${i++}>`, "object");
          if (problem) return problem;
        }
        return null;
      }
      if (ArrayBuffer.isView(obj) || CLONEABLE_CLASSES.some((c) => obj instanceof c)) return null;
      if (typeof SharedArrayBuffer !== "undefined" && obj instanceof SharedArrayBuffer) return null;
      return {
        path,
        reason: `is a ${typeName(obj)} instance; it would arrive as a plain object without its methods (send plain data and rebuild the object in the task)`,
      };
    }
    ancestors.add(obj);
    for (const key of Object.keys(obj)) {
      const problem = visit((obj as Record<string, unknown>)[key], join(path, key), "object");
      if (problem) return problem;
    }
    ancestors.delete(obj);
    return null;
  };

  return visit(value, root, "top");
}

/** What is being sent, for the error message. */
export interface SerializationSubject {
  /** The task's name (and map index, when mapped) as users know it. */
  taskName: string;
  mapIndex?: number | null;
  taskRunId?: string;
  flowRunId?: string;
  /** Which executor needs the value serializable, e.g. "workers". */
  executor: string;
}

/** Throws NOT_SERIALIZABLE naming the task and the offending path when `value` cannot be sent in `mode`. */
export function assertSerializable(value: unknown, mode: SerializationMode, root: string, subject: SerializationSubject): void {
  const problem = findUnserializable(value, mode, root);
  if (!problem) return;
  throw notSerializable(problem, subject);
}

/** The NOT_SERIALIZABLE error for a problem found by findUnserializable. */
export function notSerializable(problem: SerializationProblem, subject: SerializationSubject): SluiceError {
  const task =
    subject.mapIndex === null || subject.mapIndex === undefined ? `task "${subject.taskName}"` : `task "${subject.taskName}" [map index ${subject.mapIndex}]`;
  const where = subject.executor === "workers" ? "a worker thread" : `the ${subject.executor} executor`;
  const context: ConstructorParameters<typeof SluiceError>[2] = { field: problem.path, kind: subject.executor };
  if (subject.taskRunId !== undefined) context.taskRunId = subject.taskRunId;
  if (subject.flowRunId !== undefined) context.flowRunId = subject.flowRunId;
  return new SluiceError(
    "NOT_SERIALIZABLE",
    `${task}: ${problem.path} ${problem.reason}. Values sent to ${where} must be ${subject.executor === "workers" ? "structured-cloneable" : "JSON"} data; ` +
      `create clients and connections inside the task, or run it with the local or concurrent executor.`,
    context,
  );
}
