/**
 * Calls one API operation over HTTP: builds the URL from the operation's path and query, sends JSON with
 * the API key, validates the answer with the operation's response schema, turns error answers into
 * SluiceApiError, and retries what is safe to retry:
 * - every call when the connection was refused or the server answered 503 (nothing was processed);
 * - idempotent calls also after a connection that broke mid-request or a timeout.
 * Backoff doubles from `baseDelayMs` up to `maxDelayMs`, with jitter, so an agent rides out a server restart.
 */
import type { Operation, ResponseOf } from "../api/operation.js";
import { ErrorBodySchema } from "../api/common.js";
import { SluiceApiError } from "./errors.js";

export interface RetryOptions {
  /** Attempts in all (1 = no retry). @default 8 */
  attempts?: number;
  /** First delay between attempts. @default 200 */
  baseDelayMs?: number;
  /** Longest delay between attempts. @default 3000 */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** Base URL of the server, e.g. "http://127.0.0.1:4200". */
  url: string;
  /** API key sent as `Authorization: Bearer <key>`. Never logged or put in URLs. @default undefined */
  apiKey?: string | undefined;
  /** The fetch to use (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default { attempts: 8, baseDelayMs: 200, maxDelayMs: 3000 } */
  retry?: RetryOptions;
  /** Time limit of one attempt. @default 30000 */
  timeoutMs?: number;
}

export interface CallInput {
  params?: Record<string, string | number>;
  query?: Record<string, unknown>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Overrides the operation's `idempotent` (e.g. a creation made safe by an idempotency key). */
  idempotent?: boolean;
}

/** Connection errors where the request never reached the server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    search.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export class Transport {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: TransportOptions) {
    this.base = options.url.replace(/\/+$/, "");
    // Called as a plain function: browsers refuse fetch called as a method of another object.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.attempts = Math.max(1, options.retry?.attempts ?? 8);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 200;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 3000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async call<O extends Operation>(operation: O, input: CallInput = {}): Promise<ResponseOf<O>> {
    const path = operation.path.replace(/:(\w+)/g, (_, name: string) => {
      const value = input.params?.[name];
      if (value === undefined) throw new TypeError(`${operation.id}: path parameter ${name} is missing`);
      return encodeURIComponent(String(value));
    });
    const url = `${this.base}${path}${queryString(input.query)}`;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const body = input.body === undefined ? undefined : JSON.stringify(input.body);
    if (body !== undefined) headers["content-type"] = "application/json";

    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method: operation.method, headers, body, signal });
      } catch (error) {
        if (input.signal?.aborted) throw error;
        const code = errorCode(error) ?? (timeout.aborted ? "ETIMEDOUT" : undefined);
        const retryable = (code !== undefined && NOT_SENT.has(code)) || (input.idempotent ?? operation.idempotent);
        if (retryable && attempt < this.attempts) {
          await sleep(this.delay(attempt), input.signal);
          continue;
        }
        throw new SluiceApiError({
          status: 0,
          code: "SERVICE_UNAVAILABLE",
          operation: operation.id,
          message: `cannot reach the Sluice server at ${this.base} (${operation.id}${code ? `: ${code}` : ""}, ${attempt} attempt${attempt > 1 ? "s" : ""}): start it with \`sluice server start\` or check SLUICE__API__URL`,
          cause: error,
        });
      }
      if (response.status === 503 && attempt < this.attempts) {
        await response.body?.cancel();
        await sleep(this.delay(attempt), input.signal);
        continue;
      }
      return this.answer(operation, response);
    }
  }

  private delay(attempt: number): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  private async answer<O extends Operation>(operation: O, response: Response): Promise<ResponseOf<O>> {
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = ErrorBodySchema.safeParse(json);
      const error = parsed.success ? parsed.data.error : undefined;
      throw new SluiceApiError({
        status: response.status,
        code: error?.code,
        message: error?.message ?? `${operation.id} failed with HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`,
        field: error?.field,
        fields: error?.fields,
        operation: operation.id,
      });
    }
    if (!operation.response) return undefined as ResponseOf<O>;
    const parsed = operation.response.safeParse(json);
    if (!parsed.success)
      throw new SluiceApiError({
        status: response.status,
        code: "INTERNAL",
        operation: operation.id,
        message: `the server's answer to ${operation.id} does not match this client's API schema (${parsed.error.issues[0]?.message ?? "invalid"} at ${parsed.error.issues[0]?.path.join(".") || "the root"}): are the client and server versions the same?`,
        cause: parsed.error,
      });
    return parsed.data as ResponseOf<O>;
  }
}
