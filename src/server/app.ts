/**
 * The Fastify application: error shape, API-key check, request logging without secrets, and one route
 * module per resource.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { ServerContext } from "./context.js";
import { hashApiKey } from "./domain/api-key.js";
import { AuthFailures } from "./http/auth-failures.js";
import { registerCors } from "./http/cors.js";
import { ApiRequestError, toErrorResponse } from "./http/errors.js";
import type { RouteConfig } from "./http/route.js";
import { agentRoutes } from "./routes/agents.js";
import { apiKeyRoutes } from "./routes/api-keys.js";
import { flowRunRoutes } from "./routes/flow-runs.js";
import { flowRoutes } from "./routes/flows.js";
import { healthRoutes } from "./routes/health.js";
import { logRoutes } from "./routes/logs.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { secretRoutes } from "./routes/secrets.js";
import { runViewRoutes } from "./routes/run-views.js";
import { taskRunRoutes } from "./routes/task-runs.js";
import { uiRoutes } from "./ui.js";

/** A verified key is trusted this long before the database is asked again (revocation on this server clears it). */
const KEY_CACHE_MS = 10_000;
const KEY_CACHE_LIMIT = 1000;

/** The bearer token of a request (`Authorization: Bearer <key>` or `X-Api-Key: <key>`). */
function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === "string") {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = headers["x-api-key"];
  return typeof header === "string" && header.length > 0 ? header : undefined;
}

/** What the application needs beyond the routes' context. */
export interface AppOptions {
  /** Browser origins allowed to call the API. @default [] (none) */
  corsOrigins?: readonly string[];
  /** TLS certificate and key (PEM): the server speaks HTTPS. @default undefined (HTTP) */
  tls?: { cert: Buffer; key: Buffer };
  /** Tracks failed authentications per client address. @default 10 per minute */
  authFailures?: AuthFailures;
}

export function buildApp(ctx: ServerContext, logger: FastifyBaseLogger, options: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    loggerInstance: logger,
    // Fastify's per-request lines are replaced by one debug line per response (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.bodyLimit,
    // Agents and runners poll: keep their connections open between calls.
    keepAliveTimeout: 65_000,
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorResponse(error, ctx.bodyLimit);
    if (status >= 500) request.log.error({ err: error, method: request.method, url: request.url }, "request failed");
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({
      error: {
        code: "NOT_FOUND",
        message: `no route ${request.method} ${request.url.split("?")[0]}: check the method and path (GET /docs lists the API's routes)`,
      },
    });
  });

  registerCors(app, options.corsOrigins ?? []);

  const verified = new Map<string, number>();
  const failures = options.authFailures ?? new AuthFailures();
  app.addHook("onRequest", async (request, reply) => {
    if (!ctx.auth || (request.routeOptions.config as Partial<RouteConfig> | undefined)?.auth === false) return;
    const waitMs = failures.blockedFor(request.ip);
    if (waitMs > 0) {
      void reply.header("retry-after", String(Math.ceil(waitMs / 1000)));
      throw new ApiRequestError(
        429,
        "UNAUTHORIZED",
        `too many failed authentications from ${request.ip}: try again in ${Math.ceil(waitMs / 1000)} s with a valid API key`,
        {
          field: "authorization",
        },
      );
    }
    const key = presentedKey(request.headers);
    if (key === undefined) {
      failures.failed(request.ip);
      throw new ApiRequestError(
        401,
        "UNAUTHORIZED",
        "this server requires an API key: send Authorization: Bearer <key> (create one with `sluice auth create-key`)",
        {
          field: "authorization",
        },
      );
    }
    const hash = hashApiKey(key);
    const until = verified.get(hash);
    if (until !== undefined && until > Date.now()) return;
    const info = await ctx.db.apiKeys.verify(key);
    if (!info) {
      verified.delete(hash);
      failures.failed(request.ip);
      throw new ApiRequestError(401, "UNAUTHORIZED", "the API key is unknown or revoked", { field: "authorization" });
    }
    if (verified.size >= KEY_CACHE_LIMIT) verified.clear();
    verified.set(hash, Date.now() + KEY_CACHE_MS);
  });

  app.addHook("onResponse", async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url.split("?")[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });

  healthRoutes(app, ctx);
  flowRoutes(app, ctx);
  flowRunRoutes(app, ctx);
  taskRunRoutes(app, ctx);
  logRoutes(app, ctx);
  agentRoutes(app, ctx);
  scheduleRoutes(app, ctx);
  secretRoutes(app, ctx);
  apiKeyRoutes(app, ctx, () => verified.clear());
  runViewRoutes(app, ctx);
  uiRoutes(app);
  return app;
}
