/** Routes of flows. */
import type { FastifyInstance } from "fastify";
import { flowOperations } from "../../api/flows.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";
import { notFound } from "../database/rows.js";

export function flowRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerRoute(app, flowOperations.registerFlow, async ({ body }) => {
    ctx.parameters.compile(body.parameterSchema);
    const { flow, created } = await ctx.db.flows.register(body);
    return { flowId: flow.id, version: flow.version, created, flow };
  });

  registerRoute(app, flowOperations.getFlow, async ({ params }) => {
    const flow = await ctx.db.flows.get(params.id);
    if (!flow) throw notFound("flow", params.id);
    return flow;
  });

  registerRoute(app, flowOperations.listFlows, async ({ query }) => ctx.db.flows.list(query));
}
