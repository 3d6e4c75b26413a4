/** Routes of flow runs: create, read, state changes, claims, heartbeats, cancellation. */
import type { FastifyInstance } from "fastify";
import { SluiceError } from "../../core/errors.js";
import { flowRunOperations } from "../../api/flow-runs.js";
import type { Flow } from "../../api/flows.js";
import type { ServerContext } from "../context.js";
import { normalizeLabels } from "../domain/labels.js";
import { registerRoute } from "../http/route.js";
import { notFound, toMs } from "../database/rows.js";
import { checkedParameters } from "./shared.js";

export function flowRunRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  registerRoute(app, flowRunOperations.createFlowRun, async ({ body }, _request, reply) => {
    let flow: Flow | undefined;
    if (body.flowId !== undefined) {
      flow = await db.flows.get(body.flowId);
      if (!flow) throw notFound("flow", body.flowId, "flowId");
    } else {
      flow = await db.flows.findByName(body.flowName!, body.version);
      if (!flow)
        throw new SluiceError(
          "NOT_FOUND",
          `flow ${JSON.stringify(body.flowName)}${body.version === undefined ? "" : ` version ${body.version}`} is not registered: register it first (sluice register)`,
          { field: body.version === undefined ? "flowName" : "version", value: body.version ?? body.flowName },
        );
    }
    const now = Date.now();
    const { run, created } = await db.flowRuns.create(
      {
        flow,
        parameters: checkedParameters(ctx, flow, body.parameters),
        labels: body.labels ? normalizeLabels(body.labels) : flow.labels,
        scheduledStart: body.scheduledStart === undefined ? now : toMs(body.scheduledStart),
        name: body.name ?? null,
        idempotencyKey: body.idempotencyKey ?? null,
      },
      now,
    );
    if (!created) reply.code(200);
    else await ctx.runSignal.runsChanged();
    return run;
  });

  registerRoute(app, flowRunOperations.getFlowRun, async ({ params }) => {
    const run = await db.flowRuns.get(params.id);
    if (!run) throw notFound("flow run", params.id);
    return run;
  });

  registerRoute(app, flowRunOperations.listFlowRuns, async ({ query }) => db.flowRuns.list(query));

  registerRoute(app, flowRunOperations.listFlowRunStates, async ({ params }) => ({ items: await db.flowRuns.states(params.id) }));

  registerRoute(app, flowRunOperations.setFlowRunState, async ({ params, body }) => {
    const run = await db.flowRuns.setState(params.id, body.state, { expectedVersion: body.expectedVersion });
    if (run.state.name === "Scheduled") await ctx.runSignal.runsChanged();
    // A run ended from outside (an agent, a user) has no process left to end its task runs.
    else await db.taskRuns.endWithFlowRun(run.id, run.state);
    return run;
  });

  registerRoute(app, flowRunOperations.claimFlowRuns, async ({ body }, request) => {
    const agent = await db.agents.seen(body.agentId);
    // Long poll (waitMs): listen before the first attempt, then wait for a signal or the next run coming
    // due and try again, until the deadline or the client goes away.
    const waiter = body.waitMs > 0 ? ctx.runSignal.waiter() : undefined;
    const deadline = Date.now() + body.waitMs;
    const gone = new AbortController();
    const onClose = () => gone.abort();
    request.raw.socket.once("close", onClose);
    let runs: Awaited<ReturnType<typeof db.flowRuns.claim>>;
    try {
      runs = await db.flowRuns.claim(agent, body.limit);
      while (waiter && runs.length === 0 && !gone.signal.aborted) {
        const now = Date.now();
        if (now >= deadline) break;
        const due = await db.flowRuns.nextDueAt(now);
        await waiter.wait(Math.min(deadline, due ?? deadline) - now, gone.signal);
        if (!gone.signal.aborted) runs = await db.flowRuns.claim(agent, body.limit);
      }
    } finally {
      waiter?.close();
      request.raw.socket.off("close", onClose);
    }
    const flows = new Map<string, Flow>();
    for (const run of runs) {
      if (!flows.has(run.flowId)) {
        const flow = await db.flows.get(run.flowId);
        if (flow) flows.set(run.flowId, flow);
      }
    }
    return { items: runs.map((flowRun) => ({ flowRun, flow: flows.get(flowRun.flowId)! })) };
  });

  registerRoute(app, flowRunOperations.heartbeatFlowRun, async ({ params }) => db.flowRuns.heartbeat(params.id));

  registerRoute(app, flowRunOperations.cancelFlowRun, async ({ params }) => db.flowRuns.cancel(params.id));
}
