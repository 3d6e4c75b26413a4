/**
 * Errors of the Kubernetes API as Sluice errors that carry the API's own Status: its message, its
 * reason (AlreadyExists, Forbidden, Invalid, NotFound, ...) and the HTTP code, so that a failed launch
 * fails the run with what Kubernetes said.
 */
import { SluiceError, type ErrorCode } from "../../core/errors.js";

/** The fields of a Kubernetes `Status` object Sluice reports. */
export interface KubernetesStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EAI_AGAIN", "EPIPE", "UND_ERR_SOCKET"]);

/** An error answered by the Kubernetes API, or a failure to reach it. */
export class KubernetesApiError extends SluiceError {
  /** HTTP status of the answer; undefined when the API was not reached. */
  readonly statusCode: number | undefined;
  /** The Status reason, e.g. "AlreadyExists", "Forbidden", "Invalid". */
  readonly reason: string | undefined;
  /** The Status message, as Kubernetes wrote it. */
  readonly statusMessage: string | undefined;

  constructor(code: ErrorCode, message: string, details: { statusCode?: number; reason?: string; statusMessage?: string; field?: string; cause?: unknown }) {
    super(code, message, { kind: "kubernetes", field: details.field, cause: details.cause });
    this.name = "KubernetesApiError";
    this.statusCode = details.statusCode;
    this.reason = details.reason;
    this.statusMessage = details.statusMessage;
  }
}

function parseStatus(body: unknown): KubernetesStatus | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === "" ? undefined : { message: body.trim().slice(0, 500) };
    }
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  return {
    message: typeof v.message === "string" ? v.message : undefined,
    reason: typeof v.reason === "string" ? v.reason : undefined,
    code: typeof v.code === "number" ? v.code : undefined,
    details: typeof v.details === "object" && v.details !== null ? (v.details as KubernetesStatus["details"]) : undefined,
  };
}

const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  410: "Expired",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

function codeFor(status: number): ErrorCode {
  if (status === 401 || status === 403) return "UNAUTHORIZED";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  if (status === 429 || status >= 500) return "SERVICE_UNAVAILABLE";
  return "ENVIRONMENT_ERROR";
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** The Role that grants a caller what Sluice needs, and the page that shows it: named in a 403's hint. */
export interface RbacRole {
  role: string;
  doc: string;
}

/** The agent's Role (also the stage A pods', which create stage B Jobs). */
export const AGENT_ROLE: RbacRole = { role: "sluice-agent", doc: "docs/kubernetes.md" };
/** The Role of a cluster's scheduler (it creates the broker and workers, reads their logs). */
export const CLUSTER_SCHEDULER_ROLE: RbacRole = { role: "sluice-cluster-scheduler", doc: "docs/cluster.md" };

const FORBIDDEN_RE = /User "([^"]*)" cannot ([a-z]+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/;

/** What to do about a 403: the exact verb and resource refused (read from the Status), and the Role that grants it. */
export function forbiddenHint(statusMessage: string | undefined, rbac: RbacRole): string {
  const m = statusMessage ? FORBIDDEN_RE.exec(statusMessage) : null;
  const grant = `the Role ${rbac.role} (${rbac.doc}, RBAC), bound to it`;
  if (!m) return ` Grant the service account (or kubeconfig user) the verb it was refused with ${grant}.`;
  const [, user, verb, resource, group, namespace] = m;
  const what = `"${verb}" on "${resource}"${group ? ` (API group "${group}")` : ""}${namespace ? ` in namespace "${namespace}"` : " at the cluster scope"}`;
  return ` Grant the service account (or kubeconfig user) ${user} ${what}: apply ${grant}.`;
}

/**
 * Turns what the client library threw while `action` (e.g. "creating Job x in namespace y") into a
 * KubernetesApiError whose message holds the Status message and reason. `server` names the API in
 * messages about unreachable servers; `rbac`, the Role a 403's hint names.
 */
export function kubernetesError(action: string, error: unknown, server: string, rbac: RbacRole = AGENT_ROLE): KubernetesApiError {
  if (error instanceof KubernetesApiError) return error;
  const httpCode = (error as { code?: unknown }).code;
  if (typeof httpCode === "number" && httpCode >= 100 && httpCode < 600) {
    const status = parseStatus((error as { body?: unknown }).body);
    const reason = status?.reason ?? REASON_BY_CODE[httpCode] ?? "Unknown";
    const text =
      status?.message ?? (httpCode === 401 ? "the API server did not accept the credentials of the kubeconfig or service account" : `HTTP ${httpCode}`);
    const hint = httpCode === 403 ? forbiddenHint(status?.message, rbac) : "";
    const field = status?.details?.causes?.find((c) => typeof c.field === "string")?.field;
    return new KubernetesApiError(codeFor(httpCode), `${action} failed: ${text} (reason: ${reason}, HTTP ${httpCode}).${hint}`, {
      statusCode: httpCode,
      reason,
      statusMessage: status?.message,
      field,
      cause: error,
    });
  }
  const net = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (net) {
    return new KubernetesApiError(
      "SERVICE_UNAVAILABLE",
      `${action} failed: the Kubernetes API at ${server} is not reachable (${net}: ${message}). Check the kubeconfig or that the pod runs in the cluster.`,
      {
        reason: net,
        cause: error,
      },
    );
  }
  return new KubernetesApiError("ENVIRONMENT_ERROR", `${action} failed: ${message}`, { cause: error });
}
