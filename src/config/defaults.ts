/**
 * The configuration when nothing is set: what the schema (schema.ts) makes of `{}`, written out so that a
 * process with no config file and no SLUICE__* variable (every `sluice run` by default) needs neither zod
 * nor the schema. A test checks that `configSchema().parse({})` deep-equals DEFAULT_CONFIG: change both
 * together. Optional keys without a default are absent, as in the schema's output.
 */
import type { SluiceConfig } from "./schema.js";

export const DEFAULT_CONFIG: Readonly<SluiceConfig> = {
  api: { url: "http://127.0.0.1:4200", useLocalSecrets: true },
  server: {
    host: "127.0.0.1",
    port: 4200,
    auth: false,
    heartbeatTimeoutMs: 120_000,
    serviceIntervalMs: 10_000,
    resurrectionAfterMs: 600_000,
    resurrectionMaxAttempts: 3,
    cancellationGraceMs: 60_000,
    schedulerLookaheadMs: 300_000,
    bodyLimitBytes: 10 * 1024 * 1024,
    corsOrigins: [],
    leaderRetryMs: 2000,
  },
  context: { namespace: "default" },
  engine: { flowRunner: "default", taskRunner: "default", executor: "local" },
  logging: { level: "info", sendToApi: true, extraLoggers: [], batchSize: 100, batchIntervalMs: 1000 },
  executor: { workStealing: true, allowInsecureRedis: false, queuePrefix: "sluice", workerConcurrency: 4, resultThresholdBytes: 64 * 1024 },
  docker: { baseImage: "node:20-slim" },
  kubernetes: { apiKeySecretKey: "api-key", namespace: "default", imagePullSecrets: [], deleteFinishedJobs: true },
  aws: {},
  reporter: { heartbeatIntervalMs: 30_000, cancelCheckIntervalMs: 5_000, flushTimeoutMs: 60_000 },
  agent: {
    labels: [],
    minPollIntervalMs: 250,
    maxPollIntervalMs: 10_000,
    heartbeatIntervalMs: 30_000,
    maxConcurrentRuns: 10,
    keepContainers: false,
    dockerNetwork: "host",
  },
  cache: {},
};

/** A fresh copy of the defaults (callers may change it), equal to `configSchema().parse({})`. */
export const defaultConfig = (): SluiceConfig => structuredClone(DEFAULT_CONFIG) as SluiceConfig;
