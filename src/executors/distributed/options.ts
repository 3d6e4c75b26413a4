/** Options of the distributed executor: raw → defaults → validated, once, at construction. */
import { join } from "node:path";
import { defaultHome } from "../../config/home.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { LocalDirectoryResultStore } from "../../storage/results/index.js";
import { resultStoreFromSpec, type ResultStoreCredentials } from "../../storage/results/index.js";
import { isResultStore, type ResultStore } from "../../storage/results/index.js";
import { isSafeName } from "./keys.js";
import { compileRedis, type CompiledRedis, type RedisSpec } from "./redis-connection.js";

export interface DistributedExecutorOptions {
  /**
   * The broker: a URL (redis://host:6379, rediss://:password@host:6380 for TLS) or { url, username,
   * password, tls: { caFile, certFile, keyFile }, connectTimeoutMs }.
   * @default none: required (created by kind, "distributed" takes SLUICE__EXECUTOR__REDIS_URL)
   */
  redis: RedisSpec;
  /** Namespace of every Redis key and queue; workers must be started with the same `--queue`. @default "sluice" */
  queuePrefix?: string;
  /**
   * true: any idle worker takes any queued task. false: a task is queued for the worker that ran its
   * upstream task (its data is there), falling back to the shared queue when that worker is gone.
   * @default true
   */
  workStealing?: boolean;
  /**
   * An attempt that has no result this long after it was submitted (time in the queue included) ends
   * TimedOut; guards runs against missing or hung workers. A task's own timeoutMs is enforced by the
   * worker. null: no limit.
   * @default null
   */
  taskTimeoutMs?: number | null;
  /**
   * Where results and inputs larger than resultThresholdBytes go: a ResultStore, an absolute directory
   * (shared with the workers at the same path), a file: URL, or s3://bucket/prefix?endpoint=…&region=….
   * @default "<sluice home>/results" (a LocalDirectoryResultStore: fine for workers on this machine)
   */
  resultStore?: ResultStore | string;
  /** Values whose JSON is larger than this many bytes travel through the result store. @default 65536 */
  resultThresholdBytes?: number;
  /** Credentials for an s3:// resultStore given as a string. @default undefined */
  resultStoreCredentials?: ResultStoreCredentials;
  /** Accept a non-loopback redis:// URL without password or TLS. @default false */
  allowInsecure?: boolean;
  /** Task attempts queued or running at once (the runner submits no more). @default 1000 */
  maxInFlight?: number;
  /**
   * How long a worker's claim on a job lasts without renewal. A worker that dies (SIGKILL, lost node)
   * gives its jobs up after this long; another worker then runs them again. Shorter means a faster
   * take-over, but a task that blocks its worker's event loop for longer than this (synchronous CPU
   * work) loses its claim and runs twice. In ms.
   * @default 15000
   */
  lockDurationMs?: number;
  /** How often workers look for jobs whose claim expired, in ms. Take-over takes up to lockDurationMs + stalledIntervalMs. @default 5000 */
  stalledIntervalMs?: number;
  /** How many times one job may be taken over from a dead worker before its attempt fails (EXECUTOR_ERROR). @default 2 */
  maxStalledCount?: number;
}

export interface CompiledDistributedOptions {
  redis: CompiledRedis;
  queuePrefix: string;
  workStealing: boolean;
  taskTimeoutMs: number | null;
  resultStore: ResultStore;
  resultThresholdBytes: number;
  maxInFlight: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

const KNOWN = [
  "redis",
  "queuePrefix",
  "workStealing",
  "taskTimeoutMs",
  "resultStore",
  "resultThresholdBytes",
  "resultStoreCredentials",
  "allowInsecure",
  "maxInFlight",
  "lockDurationMs",
  "stalledIntervalMs",
  "maxStalledCount",
];

function bad(field: string, value: unknown, expected: string): SluiceError {
  return new SluiceError("INVALID_OPTION", `distributed executor: option ${field} is ${showValue(value)}; ${expected}`, { field, value, kind: "distributed" });
}

function whole(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw bad(field, value, `use a whole number ≥ ${min}`);
  return value;
}

function bool(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw bad(field, value, "use true or false");
  return value;
}

/** The default result store: a directory in Sluice's home. */
export const defaultResultStoreDir = (): string => join(defaultHome(), "results");

export function compileDistributedOptions(raw: DistributedExecutorOptions): CompiledDistributedOptions {
  if (typeof raw !== "object" || raw === null) throw bad("options", raw, 'pass an object such as { redis: "redis://127.0.0.1:6379" }');
  for (const key of Object.keys(raw)) {
    if (!KNOWN.includes(key)) {
      throw new SluiceError("INVALID_OPTION", `distributed executor: unknown option ${key}; known options: ${KNOWN.join(", ")}`, {
        field: key,
        kind: "distributed",
      });
    }
  }
  if (raw.redis === undefined) {
    throw bad(
      "redis",
      undefined,
      'give the broker\'s URL, e.g. redis: "redis://127.0.0.1:6379" (or set SLUICE__EXECUTOR__REDIS_URL and use the kind "distributed")',
    );
  }
  const allowInsecure = bool("allowInsecure", raw.allowInsecure, false);
  const redis = compileRedis(raw.redis, { allowInsecure, field: "redis" });
  const queuePrefix = raw.queuePrefix ?? "sluice";
  if (typeof queuePrefix !== "string" || !isSafeName(queuePrefix))
    throw bad("queuePrefix", queuePrefix, "use letters, digits, '.', '_' and '-' (no ':'), e.g. \"sluice\"");
  const taskTimeoutMs = raw.taskTimeoutMs ?? null;
  if (taskTimeoutMs !== null && (typeof taskTimeoutMs !== "number" || !Number.isInteger(taskTimeoutMs) || taskTimeoutMs < 1)) {
    throw bad("taskTimeoutMs", taskTimeoutMs, "use a whole number of ms ≥ 1, or null for no limit");
  }
  let resultStore: ResultStore;
  if (raw.resultStore === undefined) resultStore = new LocalDirectoryResultStore({ dir: defaultResultStoreDir() });
  else if (typeof raw.resultStore === "string") resultStore = resultStoreFromSpec(raw.resultStore, raw.resultStoreCredentials, "resultStore");
  else if (isResultStore(raw.resultStore)) resultStore = raw.resultStore;
  else throw bad("resultStore", raw.resultStore, "use a ResultStore, a directory path, a file: URL or an s3:// URL");
  const lockDurationMs = whole("lockDurationMs", raw.lockDurationMs, 15_000, 500);
  const stalledIntervalMs = whole("stalledIntervalMs", raw.stalledIntervalMs, 5000, 100);
  return {
    redis,
    queuePrefix,
    workStealing: bool("workStealing", raw.workStealing, true),
    taskTimeoutMs,
    resultStore,
    resultThresholdBytes: whole("resultThresholdBytes", raw.resultThresholdBytes, 64 * 1024, 0),
    maxInFlight: whole("maxInFlight", raw.maxInFlight, 1000, 1),
    lockDurationMs,
    stalledIntervalMs,
    maxStalledCount: whole("maxStalledCount", raw.maxStalledCount, 2, 1),
  };
}
