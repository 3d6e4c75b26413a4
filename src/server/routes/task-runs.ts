/** Routes of task runs: single and batched upserts, reads. */
import type { FastifyInstance } from "fastify";
import { taskRunOperations } from "../../api/task-runs.js";
import type { ServerContext } from "../context.js";
import { registerRoute } from "../http/route.js";
import { notFound } from "../database/rows.js";

export function taskRunRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  registerRoute(app, taskRunOperations.setTaskRunState, async ({ params, body }) =>
    db.taskRuns.applySingle(params.id, { taskKey: params.taskKey, mapIndex: params.mapIndex, ...body }),
  );

  registerRoute(app, taskRunOperations.setTaskRunStates, async ({ params, body }) => ({
    results: (await db.taskRuns.apply(params.id, body.updates)).results,
  }));

  registerRoute(app, taskRunOperations.listTaskRuns, async ({ params, query }) => db.taskRuns.list(params.id, query));

  registerRoute(app, taskRunOperations.getTaskRun, async ({ params }) => {
    const taskRun = await db.taskRuns.get(params.id);
    if (!taskRun) throw notFound("task run", params.id);
    return taskRun;
  });

  registerRoute(app, taskRunOperations.listTaskRunStates, async ({ params }) => ({ items: await db.taskRuns.states(params.id) }));
}
