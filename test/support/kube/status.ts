/**
 * Kubernetes `Status` failures (the body of every non-2xx answer) and field errors, worded as the
 * API server words them, so client code can match on `code`, `reason` and `details.causes[].field`.
 */

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueForbidden"
  | "FieldValueNotFound"
  | "FieldValueTooLong"
  | "FieldValueTypeInvalid";

/** One invalid field, as Go's `field.Error`. */
export interface FieldError {
  type: FieldErrorType;
  /** Path such as `spec.template.spec.containers[0].image`. */
  field: string;
  badValue?: unknown;
  detail?: string;
  /** For FieldValueNotSupported: the allowed values. */
  supported?: readonly string[];
  /** The whole text after `field: `, when a rule words it itself (the shared validation rules do). */
  message?: string;
}

function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === undefined || value === null) return "null";
  return JSON.stringify(value);
}

/** The text after `field: ` (Go's `ErrorBody`). */
export function fieldErrorBody(e: FieldError): string {
  if (e.message !== undefined) return e.message;
  switch (e.type) {
    case "FieldValueRequired":
      return "Required value" + (e.detail ? `: ${e.detail}` : "");
    case "FieldValueInvalid":
      return `Invalid value: ${quote(e.badValue)}` + (e.detail ? `: ${e.detail}` : "");
    case "FieldValueNotSupported":
      return `Unsupported value: ${quote(e.badValue)}` + (e.supported ? `: supported values: ${e.supported.map((s) => JSON.stringify(s)).join(", ")}` : "");
    case "FieldValueDuplicate":
      return `Duplicate value: ${quote(e.badValue)}`;
    case "FieldValueForbidden":
      return `Forbidden: ${e.detail ?? ""}`;
    case "FieldValueNotFound":
      return `Not found: ${quote(e.badValue)}`;
    case "FieldValueTooLong":
      return `Too long: ${e.detail ?? ""}`;
    case "FieldValueTypeInvalid":
      return `Invalid value: ${quote(e.badValue)}` + (e.detail ? `: ${e.detail}` : "");
  }
}

export function fieldErrorText(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** A failure answered as a `Status` object with an HTTP code and a machine-readable reason. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "StatusError";
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `jobs.batch` or `pods` (core group has no suffix). */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function notFound(resource: string, group: string, name: string): StatusError {
  return new StatusError(404, "NotFound", `${qualifiedResource(resource, group)} "${name}" not found`, { name, group: group || undefined, kind: resource });
}

export function alreadyExists(resource: string, group: string, name: string): StatusError {
  return new StatusError(409, "AlreadyExists", `${qualifiedResource(resource, group)} "${name}" already exists`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export function conflict(resource: string, group: string, name: string, why: string): StatusError {
  return new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export const modifiedConflictText = "the object has been modified; please apply your changes to the latest version and try again";

export function invalid(kind: string, group: string, name: string, errors: readonly FieldError[]): StatusError {
  const texts = errors.map(fieldErrorText);
  const joined = texts.length === 1 ? texts[0] : `[${texts.join(", ")}]`;
  const kindName = group ? `${kind}.${group}` : kind;
  return new StatusError(422, "Invalid", `${kindName} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

export function forbidden(
  user: string,
  verb: string,
  resource: string,
  group: string,
  name: string | undefined,
  namespace: string | undefined,
  subresource?: string,
): StatusError {
  const what = name ? `${qualifiedResource(resource, group)} "${name}"` : qualifiedResource(resource, group);
  const res = subresource ? `${resource}/${subresource}` : resource;
  const where = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
  return new StatusError(403, "Forbidden", `${what} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${group}"${where}`, {
    name,
    group: group || undefined,
    kind: resource,
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, "BadRequest", message);
}

export function methodNotAllowed(): StatusError {
  return new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

export function gone(message: string): StatusError {
  return new StatusError(410, "Expired", message);
}
