/**
 * The Fastify application: error shape, API-key check, request logging without secrets, and one route
 * module per resource.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { ServerContext } from "./context.js";
import { hashApiKey } from "./domain/api-key.js";
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

export function buildApp(ctx: ServerContext, logger: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({
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
    void reply.code(404).send({ error: { code: "NOT_FOUND", message: `no route ${request.method} ${request.url.split("?")[0]}: see GET /docs for the API` } });
  });

  const verified = new Map<string, number>();
  app.addHook("onRequest", async (request) => {
    if (!ctx.auth || (request.routeOptions.config as Partial<RouteConfig> | undefined)?.auth === false) return;
    const key = presentedKey(request.headers);
    if (key === undefined)
      throw new ApiRequestError(401, "UNAUTHORIZED", "this server requires an API key: send Authorization: Bearer <key> (create one with `sluice auth create-key`)", {
        field: "authorization",
      });
    const hash = hashApiKey(key);
    const until = verified.get(hash);
    if (until !== undefined && until > Date.now()) return;
    const info = await ctx.db.apiKeys.verify(key);
    if (!info) {
      verified.delete(hash);
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
