/**
 * A result store in an S3 bucket or any S3-compatible service (MinIO, Ceph, R2, ...), spoken over plain
 * HTTP with AWS Signature V4 (no SDK): PutObject, GetObject, ListObjectsV2 and DeleteObject. Keys live
 * under the store's prefix. For workers on other machines (pods, ECS tasks), where a local directory
 * is not shared.
 *
 * Credentials are static keys (options, or the config's executor.resultStore* keys); they are never part
 * of `location()`, so an executor can tell workers where the store is without sending secrets.
 */
import { SluiceError, showValue } from "../../core/errors.js";
import { checkKey, checkRefKind, type ResultRef, type ResultStore, type ResultStoreLocation } from "./result-store.js";
import { sha256Hex, signRequest, uriEncode, type SigV4Credentials } from "./sigv4.js";

export interface S3ResultStoreOptions {
  /** Bucket name. @default none: required */
  bucket: string;
  /** Key prefix inside the bucket (a trailing "/" is added). @default "" */
  prefix?: string;
  /** Endpoint of an S3-compatible service, e.g. "http://minio:9000"; none: AWS S3 in `region`. @default undefined */
  endpoint?: string | null;
  /** Region used in the signature (S3-compatible services usually accept "us-east-1"). @default "us-east-1" */
  region?: string;
  /** Address the bucket in the path (endpoint/bucket/key) rather than the host name. @default true with an endpoint, false for AWS */
  forcePathStyle?: boolean;
  /** Static credentials. @default none: required */
  credentials: SigV4Credentials;
  /** Per-request time limit in ms. @default 30000 */
  requestTimeoutMs?: number;
}

const decodeXml = (s: string): string =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === "lt"
      ? "<"
      : e === "gt"
        ? ">"
        : e === "quot"
          ? '"'
          : e === "apos"
            ? "'"
            : e === "amp"
              ? "&"
              : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );

const tagValues = (xml: string, tag: string): string[] => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => decodeXml(m[1]!));

export class S3ResultStore implements ResultStore {
  readonly kind = "s3";
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #endpoint: string | null;
  readonly #region: string;
  readonly #pathStyle: boolean;
  readonly #credentials: SigV4Credentials;
  readonly #timeoutMs: number;

  constructor(options: S3ResultStoreOptions) {
    const bad = (field: string, value: unknown, expected: string): SluiceError =>
      new SluiceError(
        "INVALID_OPTION",
        `S3ResultStore option ${field} is ${showValue(field.startsWith("credentials.secret") ? "(hidden)" : value)}; ${expected}`,
        {
          field,
          kind: "s3",
        },
      );
    if (typeof options?.bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw bad("bucket", options?.bucket, "use an S3 bucket name (3-63 lowercase letters, digits, dots and dashes)");
    }
    const prefix = options.prefix ?? "";
    if (typeof prefix !== "string") throw bad("prefix", prefix, 'use a string such as "sluice/results"');
    if (prefix !== "") checkKey(prefix, "prefix", "s3");
    if (options.endpoint != null) {
      let url: URL | undefined;
      try {
        url = new URL(options.endpoint);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
        throw bad("endpoint", options.endpoint, 'use an http(s) URL such as "http://127.0.0.1:9000"');
    }
    const c = options.credentials;
    if (typeof c?.accessKeyId !== "string" || c.accessKeyId === "")
      throw bad("credentials.accessKeyId", c?.accessKeyId, "give the access key id (or set SLUICE__EXECUTOR__RESULT_STORE_ACCESS_KEY_ID)");
    if (typeof c.secretAccessKey !== "string" || c.secretAccessKey === "") {
      throw bad("credentials.secretAccessKey", c.secretAccessKey, "give the secret access key (or set SLUICE__EXECUTOR__RESULT_STORE_SECRET_ACCESS_KEY)");
    }
    const region = options.region ?? "us-east-1";
    if (typeof region !== "string" || !/^[a-z0-9-]+$/.test(region)) throw bad("region", region, 'use a region name such as "us-east-1"');
    const timeout = options.requestTimeoutMs ?? 30_000;
    if (!Number.isInteger(timeout) || timeout < 1) throw bad("requestTimeoutMs", timeout, "use a whole number of ms ≥ 1");
    this.#bucket = options.bucket;
    this.#prefix = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.#endpoint = options.endpoint == null ? null : options.endpoint.replace(/\/+$/, "");
    this.#region = region;
    this.#pathStyle = options.forcePathStyle ?? this.#endpoint !== null;
    this.#credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
    this.#timeoutMs = timeout;
  }

  /** The URL of an object key (full key, prefix included), or of the bucket when key is "". */
  #url(key: string): URL {
    const path = key === "" ? "" : uriEncode(key, true);
    if (this.#pathStyle) {
      const base = this.#endpoint ?? `https://s3.${this.#region}.amazonaws.com`;
      return new URL(`${base}/${this.#bucket}/${path}`);
    }
    const base = this.#endpoint ? new URL(this.#endpoint) : new URL(`https://s3.${this.#region}.amazonaws.com`);
    return new URL(`${base.protocol}//${this.#bucket}.${base.host}/${path}`);
  }

  async #send(method: string, url: URL, body: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const signed = signRequest({
      method,
      url,
      headers,
      payloadHash: sha256Hex(body ?? ""),
      region: this.#region,
      service: "s3",
      credentials: this.#credentials,
    });
    const { host: _host, ...sent } = signed.headers; // fetch sets Host itself (from the URL), to the signed value
    let response: Response;
    try {
      response = await fetch(url, { method, headers: sent, body: body ?? null, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (cause) {
      throw new SluiceError(
        "STORAGE_ERROR",
        `result store (s3): ${method} ${this.#display(url)} failed: ${(cause as Error).message}; check the endpoint and the network`,
        {
          kind: this.kind,
          cause,
        },
      );
    }
    return { status: response.status, text: await response.text() };
  }

  #display(url: URL): string {
    return `${url.origin}${url.pathname}`;
  }

  #failure(method: string, url: URL, status: number, text: string): SluiceError {
    const code = tagValues(text, "Code")[0] ?? `HTTP ${status}`;
    const message = tagValues(text, "Message")[0] ?? text.slice(0, 200);
    const hint =
      code === "SignatureDoesNotMatch" || code === "InvalidAccessKeyId" || status === 403
        ? "; check the result store's credentials and region"
        : code === "NoSuchBucket"
          ? `; create the bucket ${this.#bucket}`
          : "";
    return new SluiceError("STORAGE_ERROR", `result store (s3): ${method} ${this.#display(url)} answered ${status} ${code}: ${message}${hint}`, {
      kind: this.kind,
      field: "resultStore",
    });
  }

  async put(key: string, data: string): Promise<ResultRef> {
    checkKey(key, "key", this.kind);
    const url = this.#url(this.#prefix + key);
    const res = await this.#send("PUT", url, data, { "content-type": "application/json; charset=utf-8" });
    if (res.status < 200 || res.status >= 300) throw this.#failure("PUT", url, res.status, res.text);
    return { store: this.kind, key, bytes: Buffer.byteLength(data, "utf8") };
  }

  async get(ref: ResultRef): Promise<string> {
    checkRefKind(ref, this.kind);
    checkKey(ref.key, "key", this.kind);
    const url = this.#url(this.#prefix + ref.key);
    const res = await this.#send("GET", url, undefined);
    if (res.status === 200) return res.text;
    throw this.#failure("GET", url, res.status, res.text);
  }

  async delete(prefix: string): Promise<void> {
    checkKey(prefix, "prefix", this.kind);
    const full = this.#prefix + prefix;
    let token: string | undefined;
    do {
      const url = this.#url("");
      url.searchParams.set("list-type", "2");
      url.searchParams.set("prefix", full);
      if (token !== undefined) url.searchParams.set("continuation-token", token);
      const res = await this.#send("GET", url, undefined);
      if (res.status !== 200) throw this.#failure("GET", url, res.status, res.text);
      const keys = tagValues(res.text, "Key");
      for (let i = 0; i < keys.length; i += 16) {
        await Promise.all(
          keys.slice(i, i + 16).map(async (key) => {
            const target = this.#url(key);
            const del = await this.#send("DELETE", target, undefined);
            if (del.status !== 204 && del.status !== 200 && del.status !== 404) throw this.#failure("DELETE", target, del.status, del.text);
          }),
        );
      }
      token = tagValues(res.text, "IsTruncated")[0] === "true" ? tagValues(res.text, "NextContinuationToken")[0] : undefined;
    } while (token !== undefined);
  }

  location(): ResultStoreLocation {
    return { kind: "s3", bucket: this.#bucket, prefix: this.#prefix, endpoint: this.#endpoint, region: this.#region, forcePathStyle: this.#pathStyle };
  }
}
