/** Agents: long-running processes that claim runs whose labels they fit and deploy them. */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, Labels, pageOf, queryInt } from "./common.js";

export const RegisterAgentBody = z.strictObject({
  /** Unique name: registering the same name again updates that agent (a restarted agent keeps its id). */
  name: z.string().min(1).max(200),
  /** What the agent deploys to, e.g. "local", "docker", "kubernetes", "ecs". */
  kind: z.string().min(1).max(100),
  /** The agent takes a run only if these include all of the run's labels. @default [] */
  labels: Labels.default([]),
  /** Whether the agent takes runs without labels. @default true when the agent has no labels, else false */
  acceptUnlabelled: z.boolean().optional(),
});

export const AgentSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  labels: Labels,
  acceptUnlabelled: z.boolean(),
  createdAt: IsoDate,
  lastSeen: IsoDate,
});
export type Agent = z.output<typeof AgentSchema>;

const op = { tag: "agents" } as const;

export const agentOperations = {
  registerAgent: defineOperation({
    ...op,
    id: "registerAgent",
    method: "POST",
    path: "/api/agents",
    summary: "Register an agent (or update the one of the same name)",
    body: RegisterAgentBody,
    response: AgentSchema,
    status: 200,
    idempotent: true,
  }),
  getAgent: defineOperation({
    ...op,
    id: "getAgent",
    method: "GET",
    path: "/api/agents/:id",
    summary: "Get an agent",
    params: IdParams,
    response: AgentSchema,
    status: 200,
    idempotent: true,
  }),
  listAgents: defineOperation({
    ...op,
    id: "listAgents",
    method: "GET",
    path: "/api/agents",
    summary: "List agents, oldest registration first",
    query: z.object({ limit: queryInt(1, 1000, 100), cursor: z.string().optional() }),
    response: pageOf(AgentSchema),
    status: 200,
    idempotent: true,
  }),
  agentHeartbeat: defineOperation({
    ...op,
    id: "agentHeartbeat",
    method: "POST",
    path: "/api/agents/:id/heartbeat",
    summary: "Record that the agent is alive",
    params: IdParams,
    response: AgentSchema,
    status: 200,
    idempotent: true,
  }),
};
