/** GET /health (open) and GET /docs (the OpenAPI document). */
import type { FastifyInstance } from "fastify";
import { healthOperations } from "../../api/health.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";
import { openApiDocument } from "../openapi.js";

export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerRoute(app, healthOperations.health, async () => ({ status: "ok" as const, database: ctx.db.dialect, auth: ctx.auth }));
  registerRoute(app, healthOperations.openApi, async () => openApiDocument());
}
