/**
 * The HTTP side of the stand-in: the AWS JSON 1.1 protocol. A POST whose `X-Amz-Target` is
 * `<targetPrefix>.<Operation>` is checked (signed with SigV4, body valid JSON and valid against the
 * operation's input shape in the official model), handed to the service, and answered as AWS answers:
 * 200 with a JSON body, or 400 with `{"__type": "<namespace>#<Error>", "message"}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AwsError } from "./errors.js";
import { newRequestId } from "./ids.js";
import { validateRequest, validationMessage, type ServiceModel } from "./model.js";

/** One request as received, after the protocol checks. */
export interface ReceivedRequest {
  service: "ecs" | "logs";
  operation: string;
  body: unknown;
  /** The access key id of the SigV4 signature. */
  accessKeyId: string | undefined;
  status: number;
  /** The error type answered, if any. */
  errorType?: string;
}

export interface Backend {
  model: ServiceModel;
  /** The namespace put before `#` in error types, e.g. "com.amazonaws.ecs.v20141113". */
  namespace: string;
  handle(operation: string, input: Record<string, unknown>): unknown | Promise<unknown>;
}

export interface ServerOptions {
  backends: Record<"ecs" | "logs", Backend>;
  /** When set, requests signed with another access key id are refused (UnrecognizedClientException). */
  acceptedAccessKeyIds?: readonly string[];
  /**
   * The task role credentials of a task, by task id, answered to `GET /v2/credentials/<task id>` in the
   * form of ECS's container credentials endpoint (undefined: 404). @default undefined (no such endpoint)
   */
  taskCredentials?: (taskId: string) => Record<string, string> | undefined;
  received: ReceivedRequest[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": newRequestId(),
  });
  res.end(text);
}

export async function startServer(options: ServerOptions): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void handle(options, req, res).catch((e: unknown) => send(res, 500, { __type: "ServerException", message: (e as Error).stack ?? String(e) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

async function handle(options: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  const credentialsOf = req.method === "GET" ? /^\/v2\/credentials\/([0-9a-f]+)$/.exec(req.url ?? "") : null;
  if (credentialsOf && options.taskCredentials) {
    const found = options.taskCredentials(credentialsOf[1]!);
    res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(found ?? { message: `no credentials for task ${credentialsOf[1]!}` }));
    return;
  }
  const target = String(req.headers["x-amz-target"] ?? "");
  const [prefix, operation = ""] = target.split(".");
  const entry = Object.entries(options.backends).find(([, b]) => b.model.targetPrefix === prefix);
  const credential = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ""));
  const accessKeyId = credential?.[1];
  const record = (status: number, body: unknown, errorType?: string): void => {
    options.received.push({ service: (entry?.[0] ?? "ecs") as "ecs" | "logs", operation, body, accessKeyId, status, ...(errorType ? { errorType } : {}) });
  };
  const fail = (status: number, type: string, message: string, body: unknown, namespace?: string): void => {
    record(status, body, type);
    send(res, status, { __type: namespace ? `${namespace}#${type}` : type, message });
  };
  if (req.method !== "POST" || !entry) return fail(400, "UnknownOperationException", `no operation for X-Amz-Target ${JSON.stringify(target)}`, text);
  const [, backend] = entry;
  if (!String(req.headers["content-type"] ?? "").startsWith("application/x-amz-json-1.1")) {
    return fail(
      400,
      "SerializationException",
      `expected Content-Type application/x-amz-json-1.1, got ${String(req.headers["content-type"])}`,
      text,
      backend.namespace,
    );
  }
  if (!accessKeyId || !String(req.headers.authorization).startsWith("AWS4-HMAC-SHA256 ")) {
    return fail(400, "MissingAuthenticationTokenException", "Missing Authentication Token", text, backend.namespace);
  }
  if (options.acceptedAccessKeyIds && !options.acceptedAccessKeyIds.includes(accessKeyId)) {
    return fail(400, "UnrecognizedClientException", "The security token included in the request is invalid.", text, backend.namespace);
  }
  if (!backend.model.operations[operation]) return fail(400, "UnknownOperationException", `unknown operation ${operation}`, text, backend.namespace);
  let body: unknown;
  try {
    body = text === "" ? {} : JSON.parse(text);
  } catch (e) {
    return fail(400, "SerializationException", `the body is not JSON: ${(e as Error).message}`, text, backend.namespace);
  }
  const violations = validateRequest(backend.model, operation, body);
  if (violations.length > 0) {
    const serialization = violations.find((v) => v.type === "SerializationException");
    if (serialization) return fail(400, "SerializationException", serialization.message, body, backend.namespace);
    return fail(400, "ValidationException", validationMessage(violations), body, backend.namespace);
  }
  try {
    const out = await backend.handle(operation, structuredClone(body) as Record<string, unknown>);
    record(200, body);
    send(res, 200, out ?? {});
  } catch (e) {
    if (e instanceof AwsError) return fail(e.status, e.type, e.message, body, backend.namespace);
    throw e;
  }
}
