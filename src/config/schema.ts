/**
 * The one schema of Sluice's configuration. Every key can be set in the config file
 * (~/.sluice/config.yaml, or the file named by SLUICE_CONFIG) and overridden by an environment variable
 * SLUICE__SECTION__KEY (e.g. SLUICE__API__URL, SLUICE__LOGGING__LEVEL). Keys are camelCase here; the
 * environment's SNAKE_CASE and the file's snake_case or camelCase are mapped onto them.
 */
import { z } from "zod";

const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])]).transform((v) =>
  typeof v === "boolean" ? v : v === "true" || v === "1" || v === "yes",
);
const int = (min: number) => z.coerce.number().int().min(min);
const list = z.union([z.array(z.string()), z.string()]).transform((v) =>
  (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s.length > 0),
);

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export const configSchema = z.object({
  /** Sluice's home directory (database, cache, built contexts). @default "~/.sluice" */
  home: z.string().optional(),
  api: z
    .object({
      /** URL of the Sluice server. @default "http://127.0.0.1:4200" */
      url: z.string().url().default("http://127.0.0.1:4200"),
      /** API key sent as a bearer token. Never logged. @default undefined */
      key: z.string().optional(),
      /** Read secrets from local config instead of the server. Deployed runs get false. @default true */
      useLocalSecrets: bool.default(true),
    })
    .prefault({}),
  server: z
    .object({
      /** Address the server listens on. @default "127.0.0.1" */
      host: z.string().default("127.0.0.1"),
      /** Port the server listens on. @default 4200 */
      port: int(0).max(65535).default(4200),
      /** "sqlite:<path>" or "postgres://..."; default: SQLite at <home>/sluice.db. @default undefined */
      databaseUrl: z.string().optional(),
      /** Require API keys on every route but /health. @default false */
      auth: bool.default(false),
      /** Key (any string, hashed to 32 bytes) that encrypts secrets at rest; default: generated in <home>. @default undefined */
      encryptionKey: z.string().optional(),
      /** A running run whose last heartbeat is older than this is failed by the zombie killer. @default 120000 */
      heartbeatTimeoutMs: int(1).default(120_000),
      /** How often the zombie killer, resurrection and scheduler services look. @default 10000 */
      serviceIntervalMs: int(10).default(10_000),
      /** Submitted/Running runs without progress for this long are rescheduled. @default 600000 */
      resurrectionAfterMs: int(1).default(600_000),
      /** How many times a stuck run is rescheduled before it is failed. @default 3 */
      resurrectionMaxAttempts: int(0).default(3),
      /** A run asked to cancel that has not finished after this long is marked Cancelled by the server. @default 60000 */
      cancellationGraceMs: int(1).default(60_000),
      /** The scheduler creates the runs of schedule slots up to this far ahead of now. @default 300000 */
      schedulerLookaheadMs: int(0).default(300_000),
      /** Largest accepted request body, in bytes (larger bodies get HTTP 413). @default 10485760 */
      bodyLimitBytes: int(1024).default(10 * 1024 * 1024),
    })
    .prefault({}),
  context: z
    .object({
      /** Id of the flow run this process executes (set for deployed runs). @default undefined */
      flowRunId: z.string().optional(),
      /** Id of the registered flow (set for deployed runs). @default undefined */
      flowId: z.string().optional(),
      /** Kubernetes namespace of the run. @default "default" */
      namespace: z.string().default("default"),
      /** Image the run was deployed with. @default undefined */
      image: z.string().optional(),
      /** Path of the flow's module inside the image or on disk. @default undefined */
      flowFilePath: z.string().optional(),
    })
    .prefault({}),
  engine: z
    .object({
      /** Flow runner implementation. @default "default" */
      flowRunner: z.string().default("default"),
      /** Task runner implementation. @default "default" */
      taskRunner: z.string().default("default"),
      /** Default executor kind when a flow names none ("local", "concurrent", "workers", "distributed"). @default "local" */
      executor: z.string().default("local"),
    })
    .prefault({}),
  logging: z
    .object({
      /** Minimum level of log lines. @default "info" */
      level: z.enum(LOG_LEVELS).default("info"),
      /** Send run logs to the server (deployed runs). @default true */
      sendToApi: bool.default(true),
      /** Other logger names whose records join the run's logs. @default [] */
      extraLoggers: list.default([]),
      /** Logs are sent to the server in batches of at most this many records. @default 100 */
      batchSize: int(1).default(100),
      /** ...or after this long. @default 1000 */
      batchIntervalMs: int(10).default(1000),
    })
    .prefault({}),
  executor: z
    .object({
      /** Distributed executor: let idle workers take any queued task. @default true */
      workStealing: bool.default(true),
      /** Redis URL of the distributed executor's broker. @default undefined */
      redisUrl: z.string().optional(),
    })
    .prefault({}),
  cache: z
    .object({
      /** Where task results cached across processes live: "memory" or a directory path. @default "<home>/cache" */
      dir: z.string().optional(),
    })
    .prefault({}),
});

export type SluiceConfig = z.infer<typeof configSchema>;
export type SluiceConfigInput = z.input<typeof configSchema>;
