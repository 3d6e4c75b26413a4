/**
 * The default values of the base sections of the configuration, written once: the schema (schema.ts) gives
 * each key named here this default, and the configuration without zod (defaults.ts) is built from this
 * table and the platforms' tables. A key that is absent here and not optional in the schema is required.
 * Plain data without imports, so reading it loads nothing.
 */
export const BASE_DEFAULTS = {
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
  logging: { level: "info" as const, sendToApi: true, extraLoggers: [], batchSize: 100, batchIntervalMs: 1000 },
  executor: { workStealing: true, allowInsecureRedis: false, queuePrefix: "sluice", workerConcurrency: 4, resultThresholdBytes: 64 * 1024 },
  reporter: { heartbeatIntervalMs: 30_000, cancelCheckIntervalMs: 5_000, flushTimeoutMs: 60_000 },
  agent: { labels: [], minPollIntervalMs: 250, maxPollIntervalMs: 10_000, heartbeatIntervalMs: 30_000, maxConcurrentRuns: 10 },
  cache: {},
};
