/**
 * Routes of the run views the web UI reads: a run's aggregated task graph, a server-sent event stream of
 * its changes (state, task runs, logs) that ends once the run is finished and drained, and a text search
 * over its logs done here rather than in the page.
 */
import type { FastifyInstance } from "fastify";
import { isFinished } from "../../core/states.js";
import type { FlowRun } from "../../api/flow-runs.js";
import type { TaskRun } from "../../api/task-runs.js";
import { aggregateRunGraph, runViewOperations, type RunEvent } from "../../api/run-views.js";
import type { ServerContext } from "../context.js";
import { notFound } from "../database/rows.js";
import { registerRoute } from "../http/route.js";

/** Pause between two looks at a run the stream follows. */
const STREAM_TICK_MS = 250;
/** A comment line keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** Task runs per `task-runs` event. */
const TASK_RUN_BATCH = 1000;
/** Log lines read per query while streaming or searching. */
const LOG_PAGE = 5000;

async function allTaskRuns(ctx: ServerContext, flowRunId: string): Promise<TaskRun[]> {
  const out: TaskRun[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.db.taskRuns.list(flowRunId, { limit: 10_000, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

async function runOrThrow(ctx: ServerContext, id: string): Promise<FlowRun> {
  const run = await ctx.db.flowRuns.get(id);
  if (!run) throw notFound("flow run", id);
  return run;
}

export function runViewRoutes(app: FastifyInstance, ctx: ServerContext): void {
  registerRoute(app, runViewOperations.getFlowRunGraph, async ({ params }) => {
    const run = await runOrThrow(ctx, params.id);
    const flow = await ctx.db.flows.get(run.flowId);
    return { flowRunId: run.id, nodes: aggregateRunGraph(flow?.taskGraph.tasks ?? [], await allTaskRuns(ctx, run.id)) };
  });

  registerRoute(app, runViewOperations.searchLogs, async ({ params, query }) => {
    await runOrThrow(ctx, params.id);
    const needle = query.q.toLowerCase();
    const items = [];
    let after = query.after;
    for (;;) {
      const page = await ctx.db.logs.read(params.id, { after, level: query.level, taskRunId: query.taskRunId, limit: LOG_PAGE });
      for (const line of page.items) {
        if (!line.message.toLowerCase().includes(needle)) continue;
        items.push(line);
        if (items.length === query.limit) return { items, nextCursor: line.id };
      }
      after = page.nextCursor;
      if (page.items.length < LOG_PAGE) return { items };
    }
  });

  registerRoute(app, runViewOperations.streamFlowRunEvents, async ({ params, query }, request, reply) => {
    let run = await runOrThrow(ctx, params.id);
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    let closed = false;
    request.raw.on("close", () => (closed = true));
    const send = (event: RunEvent) => {
      const { type, ...data } = event;
      out.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const versions = new Map<string, number>();
    let cursor = query.after;
    let lastWrite = Date.now();
    try {
      send({ type: "flow-run", flowRun: run });
      for (let first = true; !closed; first = false) {
        // Task runs: everything at first, then what changed.
        const changed = (await allTaskRuns(ctx, run.id)).filter((t) => versions.get(t.id) !== t.version);
        for (const t of changed) versions.set(t.id, t.version);
        for (let i = 0; i < changed.length; i += TASK_RUN_BATCH) send({ type: "task-runs", items: changed.slice(i, i + TASK_RUN_BATCH) });
        // Logs after the cursor.
        for (;;) {
          const page = await ctx.db.logs.read(run.id, { after: cursor, level: query.level, limit: LOG_PAGE });
          cursor = page.nextCursor;
          if (page.items.length > 0) send({ type: "logs", items: page.items, nextCursor: page.nextCursor });
          if (page.items.length < LOG_PAGE) break;
        }
        if (changed.length > 0) lastWrite = Date.now();
        // Finished before this pass read everything: nothing more will come.
        if (!first && isFinished(run.state.name)) {
          send({ type: "end" });
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, STREAM_TICK_MS));
        const now = await ctx.db.flowRuns.get(run.id);
        if (!now) break;
        if (now.version !== run.version || now.updatedAt !== run.updatedAt) {
          run = now;
          send({ type: "flow-run", flowRun: run });
          lastWrite = Date.now();
        }
        if (Date.now() - lastWrite > KEEPALIVE_MS) {
          out.write(": keepalive\n\n");
          lastWrite = Date.now();
        }
      }
    } catch (error) {
      request.log.warn({ err: error, flowRunId: run.id }, "run event stream failed");
    } finally {
      out.end();
    }
    // The reply was hijacked: Fastify sends nothing of its own.
    return undefined as unknown as RunEvent;
  });
}
