/**
 * Every error leaves the server as `{ error: { code, message, field?, fields? } }` with a status that
 * says what kind it is: 400 malformed JSON, 401 no or bad API key, 404 unknown id or route, 409 version
 * conflict or illegal transition, 413 body over the limit, 415 not JSON, 422 invalid fields, 500 a bug.
 */
import type { z } from "zod";
import { SluiceError, showFieldValue, type ErrorCode } from "../../core/errors.js";
import type { ErrorBody } from "../../api/common.js";

export interface FieldError {
  field: string;
  message: string;
}

/** An error with an explicit HTTP status and, for validation errors, every offending field. */
export class ApiRequestError extends SluiceError {
  readonly status: number;
  readonly fields?: FieldError[];

  constructor(status: number, code: ErrorCode, message: string, options: { field?: string; fields?: FieldError[]; cause?: unknown } = {}) {
    const field = options.field ?? options.fields?.[0]?.field;
    super(code, message, { ...(field === undefined ? {} : { field }), ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.name = "ApiRequestError";
    this.status = status;
    if (options.fields) this.fields = options.fields;
  }
}

const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_INPUT: 422,
  INVALID_PARAMETER: 422,
  INVALID_OPTION: 422,
  GRAPH_INVALID: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  PAYLOAD_TOO_LARGE: 413,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * The value sent at `path`. A path that goes on into a string names a part of it (a query list "a,b" read
 * as a list): the string is what was sent.
 */
export function sentValueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value === "string") return value;
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Turns zod issues into field errors; `prefix` names where the value came from ("" for the body). Given
 * the `input` that failed, each message also shows the value that was sent (never a secret field's).
 */
export function fieldErrors(error: z.ZodError, prefix: string, whole: string, input?: unknown): FieldError[] {
  const name = (path: string): string => (prefix && path ? `${prefix}.${path}` : prefix || path || whole);
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((key) => {
        const field = name(path ? `${path}.${key}` : key);
        return { field, message: `${field}: unknown field (check its spelling; see GET /docs for the accepted fields)` };
      });
    const field = name(path);
    const value = input === undefined ? undefined : sentValueAt(input, issue.path);
    const sent = value === undefined ? "" : ` (sent: ${showFieldValue(field, value, 60)})`;
    return [{ field, message: `${field}: ${issue.message}${sent}` }];
  });
}

/** A 422 for invalid request fields, its message listing the first few. */
export function validationError(fields: FieldError[], what: string, code: ErrorCode = "INVALID_INPUT"): ApiRequestError {
  const shown = fields
    .slice(0, 5)
    .map((f) => f.message)
    .join("; ");
  const more = fields.length > 5 ? ` (and ${fields.length - 5} more)` : "";
  return new ApiRequestError(422, code, `invalid ${what}: ${shown}${more}`, { fields });
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  name?: string;
}

/** The status and JSON body for anything a handler or Fastify threw. */
export function toErrorResponse(error: unknown, bodyLimit: number): { status: number; body: ErrorBody } {
  if (error instanceof ApiRequestError) return { status: error.status, body: bodyOf(error.code, error.message, error.field, error.fields) };
  if (error instanceof SluiceError) return { status: STATUS_OF_CODE[error.code] ?? 500, body: bodyOf(error.code, error.message, error.field) };
  const e = (error ?? {}) as FastifyLikeError;
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return {
        status: 413,
        body: bodyOf(
          "PAYLOAD_TOO_LARGE",
          `the request body is larger than the server's limit of ${bodyLimit} bytes (SLUICE__SERVER__BODY_LIMIT_BYTES): send smaller batches`,
          "body",
        ),
      };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, body: bodyOf("INVALID_INPUT", "the request body must be JSON: send Content-Type: application/json", "body") };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return {
        status: 400,
        body: bodyOf("INVALID_INPUT", "the request body is empty but Content-Type is application/json: send a JSON body or no Content-Type", "body"),
      };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return { status: 400, body: bodyOf("INVALID_INPUT", "the request body is not valid JSON: check what the client sends (a JSON document, UTF-8)", "body") };
  }
  if (e.statusCode === 400 && e.name === "SyntaxError")
    return {
      status: 400,
      body: bodyOf(
        "INVALID_INPUT",
        `the request body is not valid JSON (${e.message ?? "parse error"}): check what the client sends (a JSON document, UTF-8)`,
        "body",
      ),
    };
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500)
    return { status: e.statusCode, body: bodyOf("INVALID_INPUT", e.message ?? "bad request") };
  return { status: 500, body: bodyOf("INTERNAL", "internal server error; the server log has the details") };
}

function bodyOf(code: string, message: string, field?: string, fields?: FieldError[]): ErrorBody {
  const error: ErrorBody["error"] = { code, message };
  if (field !== undefined) error.field = field;
  if (fields !== undefined) error.fields = fields;
  return { error };
}
