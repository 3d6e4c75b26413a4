/**
 * Starts the Sluice server: opens and migrates the database, refuses an unsafe address, serves the API
 * and runs the services (zombie killer, resurrection, cancellation, scheduler) every
 * `server.serviceIntervalMs` while it is their leader (services/leadership.ts: one server among those
 * sharing a database). `sluice server start` calls this.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import pino, { type DestinationStream, type Logger } from "pino";
import { SluiceError } from "../core/errors.js";
import type { SluiceConfig } from "../config/index.js";
import { buildApp } from "./app.js";
import { databaseUrlOf, loadSecretBox } from "./bootstrap.js";
import type { ServerContext } from "./context.js";
import { openDatabase, redactUrl, type SluiceDatabase } from "./database/index.js";
import { ParameterValidator } from "./domain/parameters.js";
import { Cancellation } from "./services/cancellation.js";
import { Leadership } from "./services/leadership.js";
import { Resurrection } from "./services/resurrection.js";
import { RunSignal } from "./services/run-signal.js";
import { Scheduler } from "./services/scheduler.js";
import { ZombieKiller } from "./services/zombie-killer.js";

export interface StartServerOptions {
  config: SluiceConfig;
  /** Address to listen on (`--host`). @default config.server.host ("127.0.0.1") */
  host?: string;
  /** Port to listen on (`--port`; 0 picks a free one). @default config.server.port (4200) */
  port?: number;
  /** Run the background services on their interval (tests turn this off and call `tick`). @default true */
  services?: boolean;
  /** Where the server's JSON log lines go. @default stdout */
  logStream?: DestinationStream;
}

export interface ServerServices {
  zombieKiller: ZombieKiller;
  resurrection: Resurrection;
  cancellation: Cancellation;
  scheduler: Scheduler;
}

export interface RunningServer {
  /** Base URL of the API, e.g. "http://127.0.0.1:4200". */
  url: string;
  /** Stops the services, the HTTP server, then closes the database. */
  close(): Promise<void>;
  database: SluiceDatabase;
  services: ServerServices;
  /** Whether this server runs the services (one server does, among those sharing a database). */
  leadership: Leadership;
  app: FastifyInstance;
  logger: Logger;
}

/** Request fields that must never reach a log line. */
export const REDACTED_PATHS = ["req.headers.authorization", 'req.headers["x-api-key"]', "headers.authorization", 'headers["x-api-key"]', "apiKey", "key"];

/**
 * The TLS certificate and key when both are configured, read now; an error names the option when only one
 * is set or a file cannot be read.
 */
export function loadTls(server: { tlsCert?: string | undefined; tlsKey?: string | undefined }): { cert: Buffer; key: Buffer } | undefined {
  if (server.tlsCert === undefined && server.tlsKey === undefined) return undefined;
  const missing = server.tlsCert === undefined ? "tlsCert" : server.tlsKey === undefined ? "tlsKey" : undefined;
  if (missing)
    throw new SluiceError(
      "CONFIG_INVALID",
      `server.${missing} is not set but server.${missing === "tlsCert" ? "tlsKey" : "tlsCert"} is: HTTPS needs both a certificate and its key (SLUICE__SERVER__TLS_CERT, SLUICE__SERVER__TLS_KEY), or neither for HTTP`,
      { field: `server.${missing}` },
    );
  const read = (field: "tlsCert" | "tlsKey", path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (cause) {
      throw new SluiceError(
        "CONFIG_INVALID",
        `server.${field} ${path} cannot be read: ${(cause as Error).message}. Give the path of a PEM file this process can read.`,
        {
          field: `server.${field}`,
          value: path,
          cause,
        },
      );
    }
  };
  return { cert: read("tlsCert", server.tlsCert!), key: read("tlsKey", server.tlsKey!) };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config } = options;
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  if (!isLoopback(host) && !config.server.auth)
    throw new SluiceError(
      "CONFIG_INVALID",
      `refusing to listen on ${host} without authentication: anyone who can reach it could run code through this server. ` +
        "Turn API keys on (server.auth: true, or SLUICE__SERVER__AUTH=true; then create a key with `sluice auth create-key`) or listen on 127.0.0.1.",
      { field: "server.host", value: host },
    );
  const tls = loadTls(config.server);
  const logger = pino(
    { name: "sluice-server", level: config.logging.level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    options.logStream ?? pino.destination(1),
  );
  const databaseUrl = databaseUrlOf(config);
  const secretBox = loadSecretBox(config);
  const database = await openDatabase(databaseUrl);
  const runSignal = new RunSignal(database.driver.channel("runs"));
  const ctx: ServerContext = {
    db: database,
    secretBox,
    parameters: new ParameterValidator(),
    auth: config.server.auth,
    bodyLimit: config.server.bodyLimitBytes,
    runSignal,
  };
  let app: FastifyInstance;
  try {
    app = buildApp(ctx, logger, { corsOrigins: config.server.corsOrigins, ...(tls ? { tls } : {}) });
  } catch (cause) {
    await database.close();
    throw new SluiceError(
      "CONFIG_INVALID",
      `the TLS certificate or key cannot be used: ${(cause as Error).message}. Check server.tlsCert and server.tlsKey (a PEM certificate and its private key).`,
      {
        field: "server.tlsCert",
        cause,
      },
    );
  }
  try {
    await app.listen({ host, port });
  } catch (cause) {
    await app.close().catch(() => undefined);
    await database.close();
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SluiceError(
      "SERVICE_UNAVAILABLE",
      code === "EADDRINUSE"
        ? `port ${port} on ${host} is already in use: stop the other process or choose another port (--port, SLUICE__SERVER__PORT)`
        : `the server cannot listen on ${host}:${port}: ${(cause as Error).message}`,
      { field: code === "EADDRINUSE" ? "server.port" : "server.host", value: code === "EADDRINUSE" ? port : host, cause },
    );
  }
  // Built once the server listens: runs' silence before this moment (the server was down) does not count.
  const s = config.server;
  const upSince = Date.now();
  const services: ServerServices = {
    zombieKiller: new ZombieKiller(database, { heartbeatTimeoutMs: s.heartbeatTimeoutMs, intervalMs: s.serviceIntervalMs, upSince }, logger),
    resurrection: new Resurrection(
      database,
      { afterMs: s.resurrectionAfterMs, maxAttempts: s.resurrectionMaxAttempts, intervalMs: s.serviceIntervalMs, upSince, runSignal },
      logger,
    ),
    cancellation: new Cancellation(database, { graceMs: s.cancellationGraceMs, intervalMs: s.serviceIntervalMs }, logger),
    scheduler: new Scheduler(database, { lookaheadMs: s.schedulerLookaheadMs, intervalMs: s.serviceIntervalMs, runSignal }, logger),
  };
  const leadership = new Leadership(
    database.driver.sessionLock("services"),
    {
      retryMs: s.leaderRetryMs,
      onLead: () => {
        for (const service of Object.values(services)) service.start();
      },
      onFollow: async () => {
        await Promise.all(Object.values(services).map((service) => service.stop()));
      },
    },
    logger,
  );
  if (options.services !== false) await leadership.start();
  const address = app.server.address() as AddressInfo;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const url = `${tls ? "https" : "http"}://${shownHost}:${address.port}`;
  logger.info({ url, database: redactUrl(databaseUrl), auth: config.server.auth }, "Sluice server listening");
  if (config.server.auth && (await database.apiKeys.countActive()) === 0)
    logger.warn("auth is on and no API key exists yet: create one with `sluice auth create-key --name admin` (it writes to this server's database directly)");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await leadership.stop();
      await Promise.all(Object.values(services).map((service) => service.stop()));
      await app.close();
      await database.close();
    })());
  return { url, close, database, services, leadership, app, logger };
}
