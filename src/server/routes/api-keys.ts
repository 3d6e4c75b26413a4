/** Routes of API keys. */
import type { FastifyInstance } from "fastify";
import { apiKeyOperations } from "../../api/api-keys.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";
import { notFound } from "../database/rows.js";

export function apiKeyRoutes(app: FastifyInstance, ctx: ServerContext, onRevoke: () => void): void {
  const { db } = ctx;
  registerRoute(app, apiKeyOperations.createApiKey, async ({ body }) => db.apiKeys.create(body.name));
  registerRoute(app, apiKeyOperations.listApiKeys, async ({ query }) => db.apiKeys.list(query));
  registerRoute(app, apiKeyOperations.revokeApiKey, async ({ params }) => {
    if (!(await db.apiKeys.revoke(params.id))) throw notFound("API key", params.id);
    onRevoke();
  });
}
