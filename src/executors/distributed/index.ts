/** The distributed executor (Redis + BullMQ) and its workers. */
import { loadConfig, type SluiceConfig } from "../../config/index.js";
import type { JsonObject } from "../../core/executor.js";
import { openResultStore, type ResultStoreCredentials } from "../../storage/results/index.js";
import type { ResultStoreLocation } from "../../storage/results/index.js";
import { DistributedExecutor } from "./distributed-executor.js";
import type { DistributedExecutorOptions } from "./options.js";
import type { RedisConnectionOptions, RedisSpec } from "./redis-connection.js";

export { DistributedExecutor };
export type { DistributedExecutorOptions };
export {
  compileRedis,
  connectRedis,
  redactUrl,
  type CompiledRedis,
  type RedisConnectionOptions,
  type RedisSpec,
  type RedisTlsOptions,
} from "./redis-connection.js";
export { DistributedWorker, type DistributedWorkerOptions } from "./worker/distributed-worker.js";
export { inspectQueue, type QueueInspection } from "./inspect.js";
export { pinnedQueue, runKeys, runTag } from "./keys.js";

/** The Redis connection the configuration describes (SLUICE__EXECUTOR__REDIS_URL, _PASSWORD, _TLS_*_FILE), or undefined. */
export function redisSpecFromConfig(config: SluiceConfig): RedisSpec | undefined {
  const e = config.executor;
  if (e.redisUrl === undefined) return undefined;
  const spec: RedisConnectionOptions = { url: e.redisUrl };
  if (e.redisPassword !== undefined) spec.password = e.redisPassword;
  if (e.redisTlsCaFile !== undefined || e.redisTlsCertFile !== undefined || e.redisTlsKeyFile !== undefined || e.redisTlsServername !== undefined) {
    spec.tls = {};
    if (e.redisTlsServername !== undefined) spec.tls.servername = e.redisTlsServername;
    if (e.redisTlsCaFile !== undefined) spec.tls.caFile = e.redisTlsCaFile;
    if (e.redisTlsCertFile !== undefined) spec.tls.certFile = e.redisTlsCertFile;
    if (e.redisTlsKeyFile !== undefined) spec.tls.keyFile = e.redisTlsKeyFile;
  }
  return spec;
}

/** Result store credentials from the configuration (SLUICE__EXECUTOR__RESULT_STORE_*). */
export function resultStoreCredentialsFromConfig(config: SluiceConfig): ResultStoreCredentials {
  const e = config.executor;
  return { accessKeyId: e.resultStoreAccessKeyId, secretAccessKey: e.resultStoreSecretAccessKey, sessionToken: e.resultStoreSessionToken };
}

const isLocation = (value: unknown): value is ResultStoreLocation =>
  typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === "string" && !("put" in value);

/**
 * Registry factory: options given win; the rest comes from the configuration (redis URL, password and
 * TLS files, queuePrefix, workStealing, resultStore, resultThresholdBytes, allowInsecureRedis). A redis
 * URL given without a password takes the configured password and TLS files.
 */
export function createDistributedExecutor(options: JsonObject = {}, config: SluiceConfig = loadConfig()): DistributedExecutor {
  const e = config.executor;
  const raw = { ...options } as Record<string, unknown>;
  const configured = redisSpecFromConfig(config);
  if (raw.redis === undefined) raw.redis = configured;
  else if (typeof raw.redis === "string" && typeof configured === "object") {
    // A URL given as an option (e.g. from describe(), which never holds secrets) takes the configured password and TLS files.
    raw.redis = { ...configured, url: raw.redis, ...(/^rediss?:\/\/[^/]*:[^/@]*@/.test(raw.redis) ? { password: undefined } : {}) };
    if ((raw.redis as RedisConnectionOptions).password === undefined) delete (raw.redis as RedisConnectionOptions).password;
  }
  raw.queuePrefix ??= e.queuePrefix;
  raw.workStealing ??= e.workStealing;
  raw.resultThresholdBytes ??= e.resultThresholdBytes;
  raw.allowInsecure ??= e.allowInsecureRedis;
  raw.resultStoreCredentials ??= resultStoreCredentialsFromConfig(config);
  raw.resultStore ??= e.resultStore;
  if (raw.resultStore === undefined) delete raw.resultStore;
  else if (isLocation(raw.resultStore)) raw.resultStore = openResultStore(raw.resultStore, raw.resultStoreCredentials as ResultStoreCredentials);
  return new DistributedExecutor(raw as unknown as DistributedExecutorOptions);
}
