/**
 * The one schema of Sluice's configuration. Every key can be set in the config file
 * (~/.sluice/config.yaml, or the file named by SLUICE_CONFIG) and overridden by an environment variable
 * SLUICE__SECTION__KEY (e.g. SLUICE__API__URL, SLUICE__LOGGING__LEVEL). Keys are camelCase here; the
 * environment's SNAKE_CASE and the file's snake_case or camelCase are mapped onto them. The base sections
 * are here; each platform adds its own section (`docker`, `kubernetes`, ...) and its agent's keys, from
 * its platform.ts (src/platforms/index.ts lists them).
 */
import type { z } from "zod";
import { lazy } from "../core/zod.js";
import { PLATFORM_CONFIGS } from "../platforms/config-sections.js";
import { BASE_DEFAULTS } from "./base-defaults.js";
import { configKit, withDefaults, type Defaulted, type PlatformConfig } from "./kit.js";

type Fragment = (typeof PLATFORM_CONFIGS)[number];
type SectionShape<C> = C extends { section: (...args: never[]) => infer S extends Record<string, z.ZodType> } ? S : never;
type SectionDefaults<C> = C extends { defaults: { section: infer D } } ? D : object;
type AgentDefaults<C> = C extends { defaults: { agentKeys: infer D } } ? D : object;
type AgentPart<C> = C extends { agentKeys: (...args: never[]) => infer S extends Record<string, z.ZodType> } ? Defaulted<S, AgentDefaults<C>> : never;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** `config.<platform>` of every platform that declares a section. */
type PlatformSections = {
  [F in Fragment as [SectionShape<F>] extends [never] ? never : F["name"]]: Defaulted<SectionShape<F>, SectionDefaults<F>> extends infer O extends z.ZodRawShape
    ? z.ZodPrefault<z.ZodObject<O>>
    : never;
};
/** The keys platforms add to `config.agent`. */
type PlatformAgentKeys = UnionToIntersection<AgentPart<Fragment>>;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/**
 * The schema, built on first use (loading zod costs ~100 ms: loadConfig() does not call this when there is
 * nothing to parse, see defaults.ts). Defaults are not written here: each section takes them from its
 * table (base-defaults.ts, and each platform fragment's `defaults`).
 */
export const configSchema = lazy((z) => {
  const kit = configKit(z);
  const { bool, int, list } = kit;
  const fragments: readonly PlatformConfig[] = PLATFORM_CONFIGS;
  const platformAgentKeys = Object.assign(
    {},
    ...fragments.map((p) => (p.agentKeys ? withDefaults(p.agentKeys(z, kit), p.defaults?.agentKeys ?? {}, "agent") : {})),
  ) as PlatformAgentKeys;
  const platformSections = Object.fromEntries(
    fragments.flatMap((p) => (p.section ? [[p.name, z.object(withDefaults(p.section(z, kit), p.defaults?.section ?? {}, p.name)).prefault({})]] : [])),
  ) as unknown as PlatformSections;
  return z.object({
    /** Sluice's home directory (database, cache, built contexts). @default "~/.sluice" */
    home: z.string().optional(),
    api: z
      .object(
        withDefaults(
          {
            /** URL of the Sluice server. @default "http://127.0.0.1:4200" */
            url: z.string().url(),
            /** API key sent as a bearer token. Never logged. @default undefined */
            key: z.string().optional(),
            /** Read secrets from local config instead of the server. Deployed runs get false. @default true */
            useLocalSecrets: bool,
          },
          BASE_DEFAULTS.api,
          "api",
        ),
      )
      .prefault({}),
    server: z
      .object(
        withDefaults(
          {
            /** Address the server listens on. @default "127.0.0.1" */
            host: z.string(),
            /** Port the server listens on. @default 4200 */
            port: int(0).max(65535),
            /** "sqlite:<path>" or "postgres://..."; default: SQLite at <home>/sluice.db. @default undefined */
            databaseUrl: z.string().optional(),
            /** Require API keys on every route but /health. @default false */
            auth: bool,
            /** Key (any string, hashed to 32 bytes) that encrypts secrets at rest; default: generated in <home>. @default undefined */
            encryptionKey: z.string().optional(),
            /** A running run whose last heartbeat is older than this is failed by the zombie killer. @default 120000 */
            heartbeatTimeoutMs: int(1),
            /** How often the zombie killer, resurrection and scheduler services look. @default 10000 */
            serviceIntervalMs: int(10),
            /** Submitted/Running runs without progress for this long are rescheduled. @default 600000 */
            resurrectionAfterMs: int(1),
            /** How many times a stuck run is rescheduled before it is failed. @default 3 */
            resurrectionMaxAttempts: int(0),
            /** A run asked to cancel that has not finished after this long is marked Cancelled by the server. @default 60000 */
            cancellationGraceMs: int(1),
            /** The scheduler creates the runs of schedule slots up to this far ahead of now. @default 300000 */
            schedulerLookaheadMs: int(0),
            /** Largest accepted request body, in bytes (larger bodies get HTTP 413). @default 10485760 */
            bodyLimitBytes: int(1024),
            /** Browser origins allowed to call the API (CORS), e.g. "https://ui.example.com"; none when empty. @default [] */
            corsOrigins: list,
            /** PEM certificate file: with `tlsKey`, the server speaks HTTPS. @default undefined */
            tlsCert: z.string().optional(),
            /** PEM private key file of `tlsCert`. @default undefined */
            tlsKey: z.string().optional(),
            /** How often a server that is not the services' leader tries to become it (PostgreSQL). @default 2000 */
            leaderRetryMs: int(50),
          },
          BASE_DEFAULTS.server,
          "server",
        ),
      )
      .prefault({}),
    context: z
      .object(
        withDefaults(
          {
            /** Id of the flow run this process executes (set for deployed runs). @default undefined */
            flowRunId: z.string().optional(),
            /** Id of the registered flow (set for deployed runs). @default undefined */
            flowId: z.string().optional(),
            /** Kubernetes namespace of the run. @default "default" */
            namespace: z.string(),
            /** Image the run was deployed with. @default undefined */
            image: z.string().optional(),
            /** Path of the flow's module inside the image or on disk. @default undefined */
            flowFilePath: z.string().optional(),
          },
          BASE_DEFAULTS.context,
          "context",
        ),
      )
      .prefault({}),
    engine: z
      .object(
        withDefaults(
          {
            /** Flow runner implementation. @default "default" */
            flowRunner: z.string(),
            /** Task runner implementation. @default "default" */
            taskRunner: z.string(),
            /** Default executor kind when a flow names none ("local", "concurrent", "workers", "distributed"). @default "local" */
            executor: z.string(),
          },
          BASE_DEFAULTS.engine,
          "engine",
        ),
      )
      .prefault({}),
    logging: z
      .object(
        withDefaults(
          {
            /** Minimum level of log lines. @default "info" */
            level: z.enum(LOG_LEVELS),
            /** Send run logs to the server (deployed runs). @default true */
            sendToApi: bool,
            /** Other logger names whose records join the run's logs. @default [] */
            extraLoggers: list,
            /** Logs are sent to the server in batches of at most this many records. @default 100 */
            batchSize: int(1),
            /** ...or after this long. @default 1000 */
            batchIntervalMs: int(10),
          },
          BASE_DEFAULTS.logging,
          "logging",
        ),
      )
      .prefault({}),
    executor: z
      .object(
        withDefaults(
          {
            /** Distributed executor: let idle workers take any queued task. @default true */
            workStealing: bool,
            /** Redis URL of the distributed executor's broker. @default undefined */
            redisUrl: z.string().optional(),
            /** Redis password, when it is not in the URL (keep it in a secret env var). Never logged. @default undefined */
            redisPassword: z.string().optional(),
            /** PEM file of the CA that signed the Redis server's certificate (rediss:// URLs). @default undefined (the system's CAs) */
            redisTlsCaFile: z.string().optional(),
            /** PEM client certificate for Redis servers that require one. @default undefined */
            redisTlsCertFile: z.string().optional(),
            /** PEM private key of redisTlsCertFile. @default undefined */
            redisTlsKeyFile: z.string().optional(),
            /** Name the Redis server's certificate must carry, when it differs from the URL's host (a broker reached by IP). @default undefined (the URL's host) */
            redisTlsServername: z.string().optional(),
            /** Allow a non-loopback redis:// URL without a password (an open, unencrypted broker). @default false */
            allowInsecureRedis: bool,
            /** Namespace shared by the distributed executor and its workers (`sluice worker --queue`). @default "sluice" */
            queuePrefix: z.string(),
            /** Task attempts one `sluice worker` process runs at once. @default 4 */
            workerConcurrency: int(1),
            /** Where large task results and inputs go: a directory, a file: URL or s3://bucket/prefix[?endpoint=&region=]. @default "<home>/results" */
            resultStore: z.string().optional(),
            /** Results and inputs larger than this (JSON bytes) travel through the result store, not Redis. @default 65536 */
            resultThresholdBytes: int(0),
            /** Access key id of an s3:// result store. @default undefined */
            resultStoreAccessKeyId: z.string().optional(),
            /** Secret access key of an s3:// result store. Never logged. @default undefined */
            resultStoreSecretAccessKey: z.string().optional(),
            /** Session token of an s3:// result store (temporary credentials). @default undefined */
            resultStoreSessionToken: z.string().optional(),
          },
          BASE_DEFAULTS.executor,
          "executor",
        ),
      )
      .prefault({}),
    reporter: z
      .object(
        withDefaults(
          {
            /** How often a deployed run tells the server it is alive (the zombie killer fails runs whose heartbeats stop). @default 30000 */
            heartbeatIntervalMs: int(10),
            /** How often a deployed run asks the server whether it was cancelled: a cancel is seen within this long. @default 5000 */
            cancelCheckIntervalMs: int(10),
            /** At exit, how long a deployed run keeps trying to send the states and logs the server has not taken yet. @default 60000 */
            flushTimeoutMs: int(0),
          },
          BASE_DEFAULTS.reporter,
          "reporter",
        ),
      )
      .prefault({}),
    agent: z
      .object(
        withDefaults(
          {
            /** The agent's name on the server (one name, one agent: a restarted agent keeps its id). @default "<kind>-<hostname>" */
            name: z.string().min(1).max(200).optional(),
            /** The agent takes a run only if these include all of the run's labels. @default [] */
            labels: list,
            /** Take runs without labels. @default true when the agent has no labels, else false */
            acceptUnlabelled: bool.optional(),
            /** Pause before the next poll when the last one found work. @default 250 */
            minPollIntervalMs: int(0),
            /** Longest pause between polls when idle (the pause doubles from the minimum up to this). @default 10000 */
            maxPollIntervalMs: int(10),
            /** How often the agent tells the server it is alive. @default 30000 */
            heartbeatIntervalMs: int(10),
            /** Runs the agent deploys at the same time (a claimed run counts until its process or container exits). @default 10 */
            maxConcurrentRuns: int(1).max(1000),
            ...platformAgentKeys,
          },
          BASE_DEFAULTS.agent,
          "agent",
        ),
      )
      .prefault({}),
    cache: z
      .object(
        withDefaults(
          {
            /** Where task results cached across processes live: "memory" or a directory path. @default "<home>/cache" */
            dir: z.string().optional(),
          },
          BASE_DEFAULTS.cache,
          "cache",
        ),
      )
      .prefault({}),
    ...platformSections,
  });
});

export type SluiceConfig = z.infer<ReturnType<typeof configSchema>>;
export type SluiceConfigInput = z.input<ReturnType<typeof configSchema>>;

// The core contracts (Environment, Storage) carry the configuration without importing this module: this
// tells them its type.
declare module "../core/run-config.js" {
  interface RunConfigTypes {
    config: SluiceConfig;
  }
}
