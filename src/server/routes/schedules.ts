/** Routes of schedules: the timing and the parameters are validated before anything is stored. */
import type { FastifyInstance } from "fastify";
import { scheduleOperations } from "../../api/schedules.js";
import type { ServerContext } from "../context.js";
import { normalizeLabels } from "../domain/labels.js";
import { validateTiming } from "../domain/schedule-slots.js";
import { registerRoute } from "../http/route.js";
import { definitionOf, type ScheduleDefinition } from "../database/schedules-repository.js";
import { notFound, toMs } from "../database/rows.js";
import { checkedParameters } from "./shared.js";

export function scheduleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;

  /** Validates a definition against its flow (parameters) and cron-parser (timing). */
  async function checked(def: ScheduleDefinition): Promise<ScheduleDefinition> {
    const flow = await db.flows.get(def.flowId);
    if (!flow) throw notFound("flow", def.flowId, "flowId");
    validateTiming(def);
    // Stored as given: the flow's defaults are applied when each run is created.
    checkedParameters(ctx, flow, def.parameters);
    return def;
  }

  registerRoute(app, scheduleOperations.createSchedule, async ({ body }) => {
    const now = Date.now();
    const def = await checked({
      flowId: body.flowId,
      name: body.name ?? null,
      cron: body.cron ?? null,
      timezone: body.cron === undefined ? null : (body.timezone ?? null),
      intervalMs: body.intervalMs ?? null,
      anchor: body.anchor === undefined ? now : toMs(body.anchor),
      parameters: body.parameters ?? {},
      labels: body.labels ? normalizeLabels(body.labels) : null,
      active: body.active ?? true,
    });
    return db.schedules.create(def, now);
  });

  registerRoute(app, scheduleOperations.getSchedule, async ({ params }) => {
    const schedule = await db.schedules.get(params.id);
    if (!schedule) throw notFound("schedule", params.id);
    return schedule;
  });

  registerRoute(app, scheduleOperations.listSchedules, async ({ query }) => db.schedules.list(query));

  registerRoute(app, scheduleOperations.updateSchedule, async ({ params, body }) => {
    const row = await db.schedules.row(params.id);
    if (!row) throw notFound("schedule", params.id);
    const old = definitionOf(row);
    const timingChanged = body.cron !== undefined || body.intervalMs !== undefined;
    const cron = timingChanged ? (body.cron ?? null) : old.cron;
    const def = await checked({
      ...old,
      name: body.name ?? old.name,
      cron,
      intervalMs: timingChanged ? (body.intervalMs ?? null) : old.intervalMs,
      timezone: cron === null ? null : (body.timezone ?? (timingChanged ? null : old.timezone)),
      anchor: body.anchor === undefined ? old.anchor : toMs(body.anchor),
      parameters: body.parameters ?? old.parameters,
      labels: body.labels ? normalizeLabels(body.labels) : old.labels,
      active: body.active ?? old.active,
    });
    const updated = await db.schedules.update(params.id, def);
    if (!updated) throw notFound("schedule", params.id);
    return updated;
  });

  registerRoute(app, scheduleOperations.deleteSchedule, async ({ params }) => {
    if (!(await db.schedules.delete(params.id))) throw notFound("schedule", params.id);
  });
}
