/**
 * Errors as the AWS JSON 1.1 protocol answers them: an HTTP status and a body `{"__type", "message"}`.
 * The SDK names the error it throws after `__type` (the part after `#`).
 */

export class AwsError extends Error {
  constructor(
    /** e.g. "ClientException", "InvalidParameterException", "ValidationException". */
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const clientException = (message: string) => new AwsError("ClientException", message);
export const invalidParameter = (message: string) => new AwsError("InvalidParameterException", message);
