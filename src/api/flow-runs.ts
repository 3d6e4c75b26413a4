/** Flow runs: one execution of a flow version, its state and history, its claim by an agent, cancellation. */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import {
  IdParams,
  IsoDate,
  JsonObject,
  Label,
  Labels,
  StateInputSchema,
  StateNameSchema,
  StateSchema,
  pageOf,
  queryBool,
  queryInt,
  queryList,
} from "./common.js";
import { FlowSchema } from "./flows.js";

export const CreateFlowRunBody = z
  .strictObject({
    /** The flow version to run (or give flowName). */
    flowId: z.string().min(1).optional(),
    /** The flow to run by name: its latest version unless `version` is given. */
    flowName: z.string().min(1).optional(),
    version: z.number().int().min(1).optional(),
    /** Merged over the flow's parameter defaults, then validated against its parameter schema. @default {} */
    parameters: JsonObject.default({}),
    /** The run's labels. @default the flow environment's labels */
    labels: Labels.optional(),
    /** When the run becomes due. @default now */
    scheduledStart: IsoDate.optional(),
    /** A second create with the same key for the same flow returns the first run instead of a new one. */
    idempotencyKey: z.string().min(1).max(200).optional(),
    /** Display name. */
    name: z.string().max(200).optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.flowId === undefined) === (body.flowName === undefined))
      ctx.addIssue({ code: "custom", path: ["flowId"], message: "give exactly one of flowId or flowName" });
    if (body.version !== undefined && body.flowName === undefined)
      ctx.addIssue({ code: "custom", path: ["version"], message: "version goes with flowName (a flowId already names one version)" });
  });

export const FlowRunSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  flowName: z.string(),
  flowVersion: z.number().int(),
  name: z.string().nullable(),
  parameters: JsonObject,
  labels: Labels,
  state: StateSchema,
  /** Incremented by every state change and claim: pass it as `expectedVersion` for a checked update. */
  version: z.number().int(),
  scheduledStart: IsoDate,
  createdAt: IsoDate,
  updatedAt: IsoDate,
  startedAt: IsoDate.nullable(),
  endedAt: IsoDate.nullable(),
  /** The agent that claimed the run. */
  agentId: z.string().nullable(),
  heartbeatAt: IsoDate.nullable(),
  cancelRequested: z.boolean(),
  /** How many times the resurrection service rescheduled the run. */
  resurrections: z.number().int(),
  scheduleId: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
});
export type FlowRun = z.output<typeof FlowRunSchema>;

export const ListFlowRunsQuery = z
  .object({
    state: queryList(StateNameSchema).optional(),
    flowId: z.string().optional(),
    flowName: z.string().optional(),
    agentId: z.string().optional(),
    scheduleId: z.string().optional(),
    cancelRequested: queryBool.optional(),
    /** Runs having every one of these labels (comma-separated in the query string). */
    label: queryList(Label).optional(),
    /** Free text: a run whose id starts with it, or whose name contains it (case-insensitive for ASCII letters). */
    q: z.string().trim().min(1, "give at least one character, or leave q out").max(200).optional(),
    /** Runs created at or after this instant. */
    createdAfter: IsoDate.optional(),
    /** Runs created strictly before this instant. */
    createdBefore: IsoDate.optional(),
    /** Runs whose record changed (state, claim, cancel request) at or after this instant: what a live list re-reads. */
    updatedAfter: IsoDate.optional(),
    limit: queryInt(1, 1000, 100),
    cursor: z.string().optional(),
  })
  .superRefine((query, ctx) => {
    if (query.createdAfter !== undefined && query.createdBefore !== undefined && Date.parse(query.createdAfter) >= Date.parse(query.createdBefore))
      ctx.addIssue({
        code: "custom",
        path: ["createdBefore"],
        message: `createdBefore (${query.createdBefore}) must be later than createdAfter (${query.createdAfter}): swap them or widen the range`,
      });
  });

export const SetFlowRunStateBody = z.strictObject({
  state: StateInputSchema,
  /** Apply only if the run's version is still this one (else 409). */
  expectedVersion: z.number().int().min(0).optional(),
});

export const ClaimFlowRunsBody = z.strictObject({
  /** A registered agent: its labels decide which runs it may take. */
  agentId: z.string().min(1),
  /** At most this many runs. @default 1 */
  limit: z.number().int().min(1).max(100).default(1),
  /**
   * When no run is due now, wait up to this long (ms) for one (created, rescheduled or coming due) before
   * answering; the answer comes as soon as one is claimed. At most 25 s, below the client's request timeout.
   * @default 0 (answer at once)
   */
  waitMs: z.number().int().min(0).max(25_000).default(0),
});

export const ClaimedFlowRunSchema = z.object({ flowRun: FlowRunSchema, flow: FlowSchema });
export const ClaimFlowRunsResponse = z.object({ items: z.array(ClaimedFlowRunSchema) });

export const HeartbeatResponse = z.object({
  state: StateNameSchema,
  version: z.number().int(),
  /** True once someone asked to cancel the run: the runner stops and reports Cancelled. */
  cancelRequested: z.boolean(),
});

const op = {
  tag: "flow-runs",
} as const;

export const flowRunOperations = {
  createFlowRun: defineOperation({
    ...op,
    id: "createFlowRun",
    method: "POST",
    path: "/api/flow-runs",
    summary: "Create a flow run (201; 200 when the idempotency key names an existing run)",
    body: CreateFlowRunBody,
    response: FlowRunSchema,
    status: 201,
    idempotent: false,
  }),
  getFlowRun: defineOperation({
    ...op,
    id: "getFlowRun",
    method: "GET",
    path: "/api/flow-runs/:id",
    summary: "Get a flow run",
    params: IdParams,
    response: FlowRunSchema,
    status: 200,
    idempotent: true,
  }),
  listFlowRuns: defineOperation({
    ...op,
    id: "listFlowRuns",
    method: "GET",
    path: "/api/flow-runs",
    summary: "List flow runs, newest first",
    query: ListFlowRunsQuery,
    response: pageOf(FlowRunSchema),
    status: 200,
    idempotent: true,
  }),
  listFlowRunStates: defineOperation({
    ...op,
    id: "listFlowRunStates",
    method: "GET",
    path: "/api/flow-runs/:id/states",
    summary: "The state history of a flow run, oldest first",
    params: IdParams,
    response: z.object({ items: z.array(StateSchema) }),
    status: 200,
    idempotent: true,
  }),
  setFlowRunState: defineOperation({
    ...op,
    id: "setFlowRunState",
    method: "POST",
    path: "/api/flow-runs/:id/state",
    summary: "Change a flow run's state (legal transitions only; 409 on a version mismatch)",
    params: IdParams,
    body: SetFlowRunStateBody,
    response: FlowRunSchema,
    status: 200,
    // A replay carries the same state timestamp, which the server recognizes as already applied.
    idempotent: true,
  }),
  claimFlowRuns: defineOperation({
    ...op,
    id: "claimFlowRuns",
    method: "POST",
    path: "/api/flow-runs/claim",
    summary: "Atomically move due Scheduled runs whose labels fit the agent to Submitted (with waitMs: wait for one)",
    body: ClaimFlowRunsBody,
    response: ClaimFlowRunsResponse,
    status: 200,
    idempotent: false,
  }),
  heartbeatFlowRun: defineOperation({
    ...op,
    id: "heartbeatFlowRun",
    method: "POST",
    path: "/api/flow-runs/:id/heartbeat",
    summary: "Record that the run's process is alive; answers whether a cancel was requested",
    params: IdParams,
    response: HeartbeatResponse,
    status: 200,
    idempotent: true,
  }),
  cancelFlowRun: defineOperation({
    ...op,
    id: "cancelFlowRun",
    method: "POST",
    path: "/api/flow-runs/:id/cancel",
    summary: "Cancel a run: at once when not started, else by asking its runner (and failing that, the server)",
    params: IdParams,
    response: FlowRunSchema,
    status: 200,
    idempotent: true,
  }),
};
