/**
 * The Redis connection of the distributed executor and of `sluice worker`: a URL (redis:// or rediss://)
 * or an options object, compiled once (validated, TLS files read) and connected with a bounded wait.
 *
 * Security rule: a Redis that is not on this machine (not loopback) must have a password or TLS; an
 * open, unencrypted broker would let anyone who reaches it read task data and make workers run tasks.
 * `allowInsecure: true` accepts it anyway (a trusted private network).
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import type { Redis } from "ioredis";
import { SluiceError, showValue } from "../../core/errors.js";

export interface RedisTlsOptions {
  /** PEM file of the CA that signed the server's certificate. @default undefined (Node's bundled CAs) */
  caFile?: string;
  /** PEM client certificate, for servers that require one (tls-auth-clients). @default undefined */
  certFile?: string;
  /** PEM private key of `certFile`. @default undefined */
  keyFile?: string;
  /** Refuse servers whose certificate does not verify. @default true */
  rejectUnauthorized?: boolean;
  /** Server name expected in the certificate (SNI). @default the URL's host */
  servername?: string;
}

export interface RedisConnectionOptions {
  /** redis://[user:password@]host[:port][/db] or rediss://… (TLS). @default none: required */
  url: string;
  /** ACL user name, when not in the URL. @default undefined ("default") */
  username?: string;
  /** Password, when not in the URL. Never logged or described. @default undefined */
  password?: string;
  /** TLS settings; giving them turns TLS on for a redis:// URL too. @default undefined (TLS only for rediss://) */
  tls?: RedisTlsOptions;
  /** How long to wait for Redis to answer when connecting, in ms. @default 5000 */
  connectTimeoutMs?: number;
}

/** A Redis URL string, or the options object. */
export type RedisSpec = string | RedisConnectionOptions;

/** A validated connection: what the code connects with. */
export interface CompiledRedis {
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  tls: TlsConnectionOptions | undefined;
  /** The URL without credentials, for messages. */
  display: string;
  connectTimeoutMs: number;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** A URL with its credentials hidden, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, "$1***@");
}

function invalid(field: string, value: unknown, message: string): SluiceError {
  return new SluiceError("INVALID_OPTION", `${field} ${message}`, { field, value, kind: "distributed" });
}

function readPem(field: string, path: unknown): Buffer {
  if (typeof path !== "string" || path === "") throw invalid(field, path, `is ${showValue(path)}; give the path of a PEM file`);
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new SluiceError("INVALID_OPTION", `${field} ${path} cannot be read: ${(cause as Error).message}; give the path of a readable PEM file`, {
      field,
      value: path,
      kind: "distributed",
      cause,
    });
  }
}

const TLS_KEYS = ["caFile", "certFile", "keyFile", "rejectUnauthorized", "servername"];
const OBJECT_KEYS = ["url", "username", "password", "tls", "connectTimeoutMs"];

/**
 * Validates a Redis spec. Errors are INVALID_OPTION naming `field` ("redis") and saying what to write.
 * `allowInsecure` accepts a non-loopback server without password and without TLS.
 */
export function compileRedis(spec: RedisSpec, options: { allowInsecure?: boolean; field?: string } = {}): CompiledRedis {
  const field = options.field ?? "redis";
  const raw: RedisConnectionOptions = typeof spec === "string" ? { url: spec } : spec;
  if (typeof raw !== "object" || raw === null) {
    throw invalid(field, spec, `is ${showValue(spec)}; give a URL such as "redis://127.0.0.1:6379" or { url, password, tls }`);
  }
  for (const key of Object.keys(raw)) {
    if (!OBJECT_KEYS.includes(key)) throw invalid(`${field}.${key}`, undefined, `is not an option of the Redis connection; known: ${OBJECT_KEYS.join(", ")}`);
  }
  if (typeof raw.url !== "string" || raw.url.trim() === "") {
    throw invalid(field, raw.url, `is ${showValue(raw.url === undefined ? raw.url : redactUrl(String(raw.url)))}; give a URL such as "redis://127.0.0.1:6379"`);
  }
  const shown = redactUrl(raw.url);
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw invalid(field, shown, `is ${JSON.stringify(shown)}, which is not a URL; write redis://host:port or rediss://host:port (TLS)`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw invalid(field, shown, `is ${JSON.stringify(shown)}: the scheme ${url.protocol} is not supported; use redis:// or rediss:// (TLS)`);
  }
  const host = url.hostname;
  if (host === "") throw invalid(field, shown, `is ${JSON.stringify(shown)}, which names no host; write redis://host:port`);
  const port = url.port === "" ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d+$/.test(dbText))
    throw invalid(field, shown, `is ${JSON.stringify(shown)}: the path /${dbText} must be a database number, e.g. redis://host:6379/0`);
  const db = dbText === "" ? 0 : Number(dbText);
  const password = raw.password ?? (url.password === "" ? undefined : decodeURIComponent(url.password));
  const username = raw.username ?? (url.username === "" ? undefined : decodeURIComponent(url.username));
  if (password !== undefined && typeof password !== "string") throw invalid(`${field}.password`, undefined, "must be a string");
  const connectTimeoutMs = raw.connectTimeoutMs ?? 5000;
  if (typeof connectTimeoutMs !== "number" || !Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw invalid(`${field}.connectTimeoutMs`, connectTimeoutMs, `is ${showValue(connectTimeoutMs)}; use a whole number of ms ≥ 1`);
  }
  let tls: TlsConnectionOptions | undefined;
  if (url.protocol === "rediss:" || raw.tls !== undefined) {
    const t = raw.tls ?? {};
    if (typeof t !== "object" || t === null) throw invalid(`${field}.tls`, t, `is ${showValue(t)}; use { caFile, certFile, keyFile }`);
    for (const key of Object.keys(t)) {
      if (!TLS_KEYS.includes(key)) throw invalid(`${field}.tls.${key}`, undefined, `is not a TLS option; known: ${TLS_KEYS.join(", ")}`);
    }
    tls = { servername: t.servername ?? (LOOPBACK.test(host) ? undefined : host) };
    if (t.caFile !== undefined) tls.ca = readPem(`${field}.tls.caFile`, t.caFile);
    if (t.certFile !== undefined) tls.cert = readPem(`${field}.tls.certFile`, t.certFile);
    if (t.keyFile !== undefined) tls.key = readPem(`${field}.tls.keyFile`, t.keyFile);
    if ((t.certFile === undefined) !== (t.keyFile === undefined)) {
      throw invalid(`${field}.tls`, undefined, "needs both certFile and keyFile for a client certificate (or neither)");
    }
    if (t.rejectUnauthorized !== undefined) tls.rejectUnauthorized = t.rejectUnauthorized;
    if (tls.servername === undefined) delete tls.servername;
  }
  if (!LOOPBACK.test(host) && password === undefined && tls === undefined && options.allowInsecure !== true) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${field} ${JSON.stringify(shown)} is not on this machine and has neither a password nor TLS: anyone who can reach it could read task data and make workers run code. ` +
        `Use rediss:// with a password (rediss://:password@host:6379, or the password option / SLUICE__EXECUTOR__REDIS_PASSWORD), or pass allowInsecure: true ` +
        `(sluice worker --allow-insecure) if the network is trusted.`,
      { field, value: shown, kind: "distributed" },
    );
  }
  const scheme = tls ? "rediss" : "redis";
  return {
    host,
    port,
    db,
    username,
    password,
    tls,
    display: `${scheme}://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}${db === 0 ? "" : `/${db}`}`,
    connectTimeoutMs,
  };
}

/**
 * Connects to Redis and checks that it answers (PING), within `connectTimeoutMs`. Fails fast with
 * SERVICE_UNAVAILABLE naming the URL (never the password). Once connected, the client reconnects by
 * itself after a network blip (commands wait for it).
 */
export async function connectRedis(redis: CompiledRedis, name: string): Promise<Redis> {
  const { Redis: RedisClient } = await import("ioredis");
  let connected = false;
  let lastError: Error | undefined;
  const client = new RedisClient({
    host: redis.host,
    port: redis.port,
    db: redis.db,
    ...(redis.username === undefined ? {} : { username: redis.username }),
    ...(redis.password === undefined ? {} : { password: redis.password }),
    ...(redis.tls === undefined ? {} : { tls: redis.tls }),
    connectionName: name,
    connectTimeout: redis.connectTimeoutMs,
    lazyConnect: true,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (connected ? Math.min(times * 100, 2000) : null),
  });
  client.on("error", (error: Error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${redis.connectTimeoutMs} ms`)), redis.connectTimeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
    connected = true;
    return client;
  } catch (error) {
    client.disconnect();
    const reason =
      lastError && lastError.message !== (error as Error).message ? `${lastError.message} (${(error as Error).message})` : (error as Error).message;
    const auth = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(reason);
    const foreign = /Unknown RESP type|Protocol error/i.test(reason);
    const hint = auth
      ? "check the password (in the URL, the password option or SLUICE__EXECUTOR__REDIS_PASSWORD)"
      : foreign
        ? "the server there does not speak the Redis protocol (an HTTP server or a TLS port? use rediss:// for TLS); check the host and port"
        : "check that Redis runs there and the URL (host, port, TLS) is right";
    throw new SluiceError("SERVICE_UNAVAILABLE", `cannot use Redis at ${redis.display}: ${reason}; ${hint}`, {
      field: "redis",
      value: redis.display,
      kind: "distributed",
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** ioredis options equivalent to a compiled connection, for libraries that open their own (BullMQ). */
export function describeRedis(redis: CompiledRedis): { url: string; tls: boolean; password: boolean } {
  return { url: redis.display, tls: redis.tls !== undefined, password: redis.password !== undefined };
}
