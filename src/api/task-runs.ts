/**
 * Task runs: one (task key, map index) of a flow run. Writes are upserts keyed by
 * (flowRunId, taskKey, mapIndex), so the runner never needs to create before it updates, and a batch
 * endpoint takes many at once (a 1,000-task run needs a handful of requests, not thousands).
 */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, StateInputSchema, StateNameSchema, StateSchema, pageOf, queryInt, queryList } from "./common.js";

/** Map index of a task run that is not a child of a mapped task. */
export const UNMAPPED = -1;

const taskRunFields = {
  /** Display name (kept from the first write that gives one). */
  taskName: z.string().max(500).optional(),
  /** The new state. @default a Pending state when the task run does not exist yet; no change otherwise */
  state: StateInputSchema.optional(),
  /** Apply only if the task run's version is still this one. */
  expectedVersion: z.number().int().min(0).optional(),
};

export const TaskRunUpdateSchema = z.strictObject({
  taskKey: z.string().min(1).max(500),
  /** -1 for an unmapped task run; 0..n-1 for the children of a mapped task. @default -1 */
  mapIndex: z.number().int().min(UNMAPPED).default(UNMAPPED),
  ...taskRunFields,
});

export const SetTaskRunStateBody = z.strictObject(taskRunFields);
export const TaskRunPathParams = z.object({
  id: z.string().min(1),
  taskKey: z.string().min(1),
  mapIndex: z.coerce.number().int().min(UNMAPPED),
});

export const BatchTaskRunsBody = z.strictObject({ updates: z.array(TaskRunUpdateSchema).min(1).max(5000) });

export const TaskRunSchema = z.object({
  id: z.string(),
  flowRunId: z.string(),
  taskKey: z.string(),
  taskName: z.string(),
  mapIndex: z.number().int(),
  state: StateSchema,
  version: z.number().int(),
  /** Attempts started (the highest `attempt` reported, or the number of times it entered Running). */
  attempts: z.number().int(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  startedAt: IsoDate.nullable(),
  endedAt: IsoDate.nullable(),
});
export type TaskRun = z.output<typeof TaskRunSchema>;

/** The outcome of one update of a batch: its task run's identity and state, or why it was refused. */
export const TaskRunResultSchema = z.object({
  taskKey: z.string(),
  mapIndex: z.number().int(),
  ok: z.boolean(),
  id: z.string().optional(),
  state: StateNameSchema.optional(),
  version: z.number().int().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type TaskRunResult = z.output<typeof TaskRunResultSchema>;

export const ListTaskRunsQuery = z.object({
  state: queryList(StateNameSchema).optional(),
  taskKey: z.string().optional(),
  limit: queryInt(1, 10_000, 1000),
  cursor: z.string().optional(),
});

const op = { tag: "task-runs" } as const;

export const taskRunOperations = {
  setTaskRunState: defineOperation({
    ...op,
    id: "setTaskRunState",
    method: "PUT",
    path: "/api/flow-runs/:id/task-runs/:taskKey/:mapIndex",
    summary: "Create or update one task run (409 on an illegal transition or a version mismatch)",
    params: TaskRunPathParams,
    body: SetTaskRunStateBody,
    response: TaskRunSchema,
    status: 200,
    idempotent: true,
  }),
  setTaskRunStates: defineOperation({
    ...op,
    id: "setTaskRunStates",
    method: "POST",
    path: "/api/flow-runs/:id/task-runs",
    summary: "Create or update many task runs in one transaction; each result says whether it applied",
    params: IdParams,
    body: BatchTaskRunsBody,
    response: z.object({ results: z.array(TaskRunResultSchema) }),
    status: 200,
    idempotent: true,
  }),
  listTaskRuns: defineOperation({
    ...op,
    id: "listTaskRuns",
    method: "GET",
    path: "/api/flow-runs/:id/task-runs",
    summary: "The task runs of a flow run, in creation order",
    params: IdParams,
    query: ListTaskRunsQuery,
    response: pageOf(TaskRunSchema),
    status: 200,
    idempotent: true,
  }),
  getTaskRun: defineOperation({
    ...op,
    id: "getTaskRun",
    method: "GET",
    path: "/api/task-runs/:id",
    summary: "Get a task run",
    params: IdParams,
    response: TaskRunSchema,
    status: 200,
    idempotent: true,
  }),
  listTaskRunStates: defineOperation({
    ...op,
    id: "listTaskRunStates",
    method: "GET",
    path: "/api/task-runs/:id/states",
    summary: "The state history of a task run, oldest first",
    params: IdParams,
    response: z.object({ items: z.array(StateSchema) }),
    status: 200,
    idempotent: true,
  }),
};
