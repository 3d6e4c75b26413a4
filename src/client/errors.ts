/** The error a client call throws when the server answers with an error (or cannot be reached). */
import { SluiceError, type ErrorCode } from "../core/errors.js";

export interface ApiFieldError {
  field: string;
  message: string;
}

const CODES = new Set<string>([
  "INVALID_OPTION",
  "INVALID_INPUT",
  "INVALID_PARAMETER",
  "GRAPH_INVALID",
  "FLOW_LOAD_FAILED",
  "NOT_SERIALIZABLE",
  "TASK_FAILED",
  "TASK_TIMED_OUT",
  "CANCELLED",
  "STORAGE_ERROR",
  "BUILD_FAILED",
  "DEPLOY_FAILED",
  "ENVIRONMENT_ERROR",
  "EXECUTOR_ERROR",
  "CONFIG_INVALID",
  "NOT_FOUND",
  "CONFLICT",
  "UNAUTHORIZED",
  "PAYLOAD_TOO_LARGE",
  "SERVICE_UNAVAILABLE",
  "INTERNAL",
] satisfies ErrorCode[]);

const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: "INVALID_INPUT",
  401: "UNAUTHORIZED",
  403: "UNAUTHORIZED",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "INVALID_INPUT",
  422: "INVALID_INPUT",
  502: "SERVICE_UNAVAILABLE",
  503: "SERVICE_UNAVAILABLE",
  504: "SERVICE_UNAVAILABLE",
};

/** An error answer of the API: the server's code, message and fields, plus the HTTP status. */
export class SluiceApiError extends SluiceError {
  /** HTTP status (0 when the server could not be reached). */
  readonly status: number;
  /** Every invalid field, for validation errors (422). */
  readonly fields: ApiFieldError[];
  /** The operation that failed, e.g. "createFlowRun". */
  readonly operation: string;

  constructor(options: {
    status: number;
    code: string | undefined;
    message: string;
    field?: string | undefined;
    fields?: ApiFieldError[] | undefined;
    operation: string;
    cause?: unknown;
  }) {
    const code: ErrorCode =
      options.code !== undefined && CODES.has(options.code) ? (options.code as ErrorCode) : (CODE_OF_STATUS[options.status] ?? "INTERNAL");
    super(code, options.message, {
      ...(options.field === undefined ? {} : { field: options.field }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = "SluiceApiError";
    this.status = options.status;
    this.fields = options.fields ?? [];
    this.operation = options.operation;
  }
}
