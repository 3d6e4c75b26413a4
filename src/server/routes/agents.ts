/** Routes of agents. */
import type { FastifyInstance } from "fastify";
import { agentOperations } from "../../api/agents.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";
import { notFound } from "../database/rows.js";

export function agentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  registerRoute(app, agentOperations.registerAgent, async ({ body }) => db.agents.register(body));
  registerRoute(app, agentOperations.getAgent, async ({ params }) => {
    const agent = await db.agents.get(params.id);
    if (!agent) throw notFound("agent", params.id);
    return agent;
  });
  registerRoute(app, agentOperations.listAgents, async ({ query }) => db.agents.list(query));
  registerRoute(app, agentOperations.agentHeartbeat, async ({ params }) => db.agents.seen(params.id));
}
