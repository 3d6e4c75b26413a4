/** Routes of logs: batched writes, cursor reads (for `logs --follow`). */
import type { FastifyInstance } from "fastify";
import { logOperations } from "../../api/logs.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";

export function logRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerRoute(app, logOperations.writeLogs, async ({ body }) => ({ count: await ctx.db.logs.write(body.logs) }));
  registerRoute(app, logOperations.readLogs, async ({ params, query }) => ctx.db.logs.read(params.id, query));
}
