/**
 * Schedules: the server creates a flow's runs by cron expression or fixed interval, ahead of time, once
 * per slot.
 */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, JsonObject, Labels, pageOf, queryInt } from "./common.js";

const scheduleFields = {
  name: z.string().max(200).optional(),
  /** Cron expression (5 fields, or 6 with seconds first). Give this or `intervalMs`. */
  cron: z.string().min(1).max(200).optional(),
  /** IANA time zone of the cron expression. @default "UTC" */
  timezone: z.string().min(1).max(100).optional(),
  /** Fixed interval between runs, in ms (at least 1000). Give this or `cron`. */
  intervalMs: z.number().int().min(1000).optional(),
  /** Interval slots are anchor + k × intervalMs. @default the creation time */
  anchor: IsoDate.optional(),
  /** Parameters of the created runs (validated against the flow's schema). @default {} */
  parameters: JsonObject.optional(),
  /** Labels of the created runs. @default the flow environment's labels */
  labels: Labels.optional(),
  /** An inactive schedule creates no runs. @default true */
  active: z.boolean().optional(),
};

const oneTiming = (
  body: { cron?: string | undefined; intervalMs?: number | undefined; timezone?: string | undefined },
  ctx: z.RefinementCtx,
  required: boolean,
): void => {
  if (body.cron !== undefined && body.intervalMs !== undefined)
    ctx.addIssue({ code: "custom", path: ["cron"], message: "give either cron or intervalMs, not both" });
  else if (required && body.cron === undefined && body.intervalMs === undefined)
    ctx.addIssue({ code: "custom", path: ["cron"], message: 'give cron (e.g. "0 * * * *") or intervalMs (e.g. 3600000)' });
  if (body.timezone !== undefined && body.intervalMs !== undefined)
    ctx.addIssue({ code: "custom", path: ["timezone"], message: "timezone applies to cron schedules only" });
};

export const CreateScheduleBody = z.strictObject({ flowId: z.string().min(1), ...scheduleFields }).superRefine((body, ctx) => oneTiming(body, ctx, true));

/** Changes to a schedule; runs already created for future slots are replaced by the new definition. */
export const UpdateScheduleBody = z.strictObject(scheduleFields).superRefine((body, ctx) => oneTiming(body, ctx, false));

export const ScheduleSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  name: z.string().nullable(),
  cron: z.string().nullable(),
  timezone: z.string().nullable(),
  intervalMs: z.number().int().nullable(),
  anchor: IsoDate,
  parameters: JsonObject,
  labels: Labels.nullable(),
  active: z.boolean(),
  /** The latest slot the scheduler created a run for. */
  lastSlot: IsoDate.nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type Schedule = z.output<typeof ScheduleSchema>;

const op = { tag: "schedules" } as const;

export const scheduleOperations = {
  createSchedule: defineOperation({
    ...op,
    id: "createSchedule",
    method: "POST",
    path: "/api/schedules",
    summary: "Create a schedule",
    body: CreateScheduleBody,
    response: ScheduleSchema,
    status: 201,
    idempotent: false,
  }),
  getSchedule: defineOperation({
    ...op,
    id: "getSchedule",
    method: "GET",
    path: "/api/schedules/:id",
    summary: "Get a schedule",
    params: IdParams,
    response: ScheduleSchema,
    status: 200,
    idempotent: true,
  }),
  listSchedules: defineOperation({
    ...op,
    id: "listSchedules",
    method: "GET",
    path: "/api/schedules",
    summary: "List schedules, oldest first",
    query: z.object({ flowId: z.string().optional(), limit: queryInt(1, 1000, 100), cursor: z.string().optional() }),
    response: pageOf(ScheduleSchema),
    status: 200,
    idempotent: true,
  }),
  updateSchedule: defineOperation({
    ...op,
    id: "updateSchedule",
    method: "PATCH",
    path: "/api/schedules/:id",
    summary: "Change a schedule (its not-yet-claimed future runs are recreated from the new definition)",
    params: IdParams,
    body: UpdateScheduleBody,
    response: ScheduleSchema,
    status: 200,
    idempotent: true,
  }),
  deleteSchedule: defineOperation({
    ...op,
    id: "deleteSchedule",
    method: "DELETE",
    path: "/api/schedules/:id",
    summary: "Delete a schedule and its not-yet-claimed future runs",
    params: IdParams,
    status: 204,
    idempotent: true,
  }),
};
