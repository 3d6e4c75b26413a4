/**
 * Sluice's errors: one base class with a stable `code` and typed context, and a serialized form for
 * errors that cross a process boundary (worker threads, Redis, HTTP, database).
 */

/** Stable error codes. Add new ones here; never reuse one for a different meaning. */
export type ErrorCode =
  | "INVALID_OPTION" // a user-given option has a bad value (field + value + what to do)
  | "INVALID_INPUT" // CLI/API input that cannot be used
  | "INVALID_PARAMETER" // flow parameter missing, unknown, or failing its schema
  | "GRAPH_INVALID" // cycle, bind to an unknown argument, unknown task, ...
  | "FLOW_LOAD_FAILED" // a module could not be imported or holds no such flow
  | "NOT_SERIALIZABLE" // a value that must cross a process boundary cannot
  | "TASK_FAILED"
  | "TASK_TIMED_OUT"
  | "CANCELLED"
  | "TERMINATED" // the run's process was stopped from outside (SIGTERM, SIGHUP): eviction, deletion, docker stop
  | "STORAGE_ERROR"
  | "BUILD_FAILED"
  | "DEPLOY_FAILED"
  | "ENVIRONMENT_ERROR"
  | "EXECUTOR_ERROR"
  | "CONFIG_INVALID"
  | "NOT_FOUND"
  | "CONFLICT"
  | "UNAUTHORIZED"
  | "PAYLOAD_TOO_LARGE" // a request body over the server's limit (HTTP 413)
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL";

export interface SluiceErrorContext {
  /** The option, parameter or field at fault (dotted path), e.g. "storage.files./etc/x". */
  field?: string;
  /** The offending value (kept short; never a secret). */
  value?: unknown;
  flowRunId?: string;
  taskRunId?: string;
  /** The kind of component involved, e.g. "docker", "kubernetes-job". */
  kind?: string;
  cause?: unknown;
}

/** Base class of every error Sluice throws on purpose. */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly value?: unknown;
  readonly flowRunId?: string;
  readonly taskRunId?: string;
  readonly kind?: string;

  constructor(code: ErrorCode, message: string, context: SluiceErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = "SluiceError";
    this.code = code;
    if (context.field !== undefined) this.field = context.field;
    if (context.value !== undefined) this.value = context.value;
    if (context.flowRunId !== undefined) this.flowRunId = context.flowRunId;
    if (context.taskRunId !== undefined) this.taskRunId = context.taskRunId;
    if (context.kind !== undefined) this.kind = context.kind;
  }
}

/** An error in a form that survives JSON: the union that crosses process boundaries. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  field?: string;
  cause?: SerializedError;
}

/** Turns anything thrown into a SerializedError (depth-limited causes, never throws). */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const out: SerializedError = { name: error.name, message: error.message };
    if (error.stack) out.stack = error.stack;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") out.code = code;
    const field = (error as { field?: unknown }).field;
    if (typeof field === "string") out.field = field;
    if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
    return out;
  }
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    const name = "name" in error && typeof error.name === "string" ? error.name : "Error";
    return { name, message: error.message };
  }
  let text: string;
  try {
    text = typeof error === "string" ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    text = String(error);
  }
  return { name: "NonErrorThrown", message: text };
}

/** Rebuilds an Error from its serialized form (the class is not restored; name, code and stack are). */
export function deserializeError(s: SerializedError): Error {
  const error = new Error(s.message, s.cause ? { cause: deserializeError(s.cause) } : undefined);
  error.name = s.name;
  if (s.stack) error.stack = s.stack;
  if (s.code) (error as Error & { code?: string }).code = s.code;
  if (s.field) (error as Error & { field?: string }).field = s.field;
  return error;
}

/** Formats a value for an error message: short, one line. */
export function showValue(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Whether a field holds a secret (a key, password, token or credential), judged by its last path
 * segment: error messages and contexts name such a field but never show its value.
 */
export function isSecretField(field: string): boolean {
  const last = field.split(".").pop() ?? field;
  return /secret|password|passwd|token|credential|private|apikey|api_key|accesskey|encryptionkey|^key$/i.test(last);
}

/** A value for an error message, or a placeholder when `field` holds a secret. */
export function showFieldValue(field: string, value: unknown, max = 80): string {
  return isSecretField(field) ? "(a value, hidden because the field holds a secret)" : showValue(value, max);
}
