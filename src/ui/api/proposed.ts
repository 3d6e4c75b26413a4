/**
 * Operations the UI needs that the API does not have yet, designed here with their zod schemas:
 * - `runEvents`: a server-sent event stream of one run's changes (its state, its task runs, its logs);
 * - `runGraph`: a run's task graph aggregated with its task runs (a mapped task is one node with counts);
 * - `searchLogs`: `q` on the log read, matched by the server across every line of the run;
 * - run list filters: labels, free text (name or id), a creation time range, and changes since a time.
 * The UI calls them through the client's Transport and falls back to what exists when the server
 * answers that the route is unknown (see the hooks). Response items are checked loosely here (their full
 * schemas are the API's FlowRun, TaskRun and LogRecord); the server's versions use the API's schemas.
 */
import { z } from "zod";
import type { Operation } from "../../server/api/operation.js";
import type { FlowRun, LogRecord, TaskRun } from "../../client/index.js";

const record = <T>() => z.custom<T>((value) => typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string");
const IdParams = z.object({ id: z.string().min(1) });
const isoDate = z.iso.datetime({ offset: true });

export const PROPOSED_STATE_NAMES = ["Pending", "Scheduled", "Submitted", "Running", "Retrying", "Success", "Failed", "TriggerFailed", "Skipped", "Cancelled", "TimedOut", "Mapped"] as const;
const StateName = z.enum(PROPOSED_STATE_NAMES);

/** One node of a run's graph: a task of the flow with the state of its run(s). */
export const RunGraphNodeSchema = z.object({
  key: z.string(),
  name: z.string(),
  upstream: z.array(z.string()),
  mapped: z.boolean(),
  /** The task run's state; for a mapped task, its children's as one (any failure, else any active, else the most common); null before it starts. */
  state: StateName.nullable(),
  /** The task run's id (the parent's for a mapped task); null when none exists yet. */
  taskRunId: z.string().nullable(),
  /** Children of a mapped task by state; for an unmapped task, its own state counted once. */
  counts: z.record(z.string(), z.number().int()),
  /** Children of a mapped task (0 when not mapped). */
  children: z.number().int(),
  /** Highest attempt among the task's runs (1 = no retry). */
  attempts: z.number().int(),
  /** Task runs of this node that needed more than one attempt. */
  retried: z.number().int(),
  startedAt: isoDate.nullable(),
  endedAt: isoDate.nullable(),
});
export type RunGraphNode = z.output<typeof RunGraphNodeSchema>;

export const RunGraphSchema = z.object({ flowRunId: z.string(), nodes: z.array(RunGraphNodeSchema) });
export type RunGraph = z.output<typeof RunGraphSchema>;

/** The events of GET /api/flow-runs/:id/events, one JSON `data` per SSE event named by `type`. */
export const RunEventSchema = z.discriminatedUnion("type", [
  /** The run itself (sent first, then on every change). */
  z.object({ type: z.literal("flow-run"), flowRun: record<FlowRun>() }),
  /** Task runs created or changed since the previous event (all of them first, in batches). */
  z.object({ type: z.literal("task-runs"), items: z.array(record<TaskRun>()) }),
  /** Log lines after the stream's cursor; `nextCursor` resumes a reconnected stream (`after`). */
  z.object({ type: z.literal("logs"), items: z.array(record<LogRecord>()), nextCursor: z.string() }),
  /** The run is finished and everything was sent: the server closes the stream. */
  z.object({ type: z.literal("end") }),
]);
export type RunEvent = z.output<typeof RunEventSchema>;

export const RunEventsQuery = z.object({
  /** Send only log lines after this cursor (a reconnecting client passes the last `nextCursor`). */
  after: z.string().regex(/^\d+$/).optional(),
  /** Minimum log level of the `logs` events. */
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).optional(),
});

/** Extra query of GET /api/flow-runs/:id/logs: a case-insensitive text match done by the server. */
export const SearchLogsQuery = z.object({
  after: z.string().regex(/^\d+$/).optional(),
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).optional(),
  taskRunId: z.string().optional(),
  /** Only lines whose message contains this text (case-insensitive), across the whole run. */
  q: z.string().min(1).max(500).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

/** Extra filters of GET /api/flow-runs. */
export const RunListFilterQuery = z.object({
  /** Runs having every one of these labels (comma-separated). */
  label: z.string().optional(),
  /** Free text: a run id (exact) or part of the run's name (case-insensitive). */
  q: z.string().max(200).optional(),
  /** Runs created at or after this instant. */
  createdAfter: isoDate.optional(),
  /** Runs created before this instant. */
  createdBefore: isoDate.optional(),
  /** Runs changed after this instant (live updates of a list ask only for what changed). */
  updatedAfter: isoDate.optional(),
});

export const proposedOperations = {
  runGraph: {
    id: "getFlowRunGraph",
    method: "GET",
    path: "/api/flow-runs/:id/graph",
    tag: "flow-runs",
    summary: "A run's task graph with the states of its task runs (a mapped task as one node with per-state counts)",
    params: IdParams,
    response: RunGraphSchema,
    status: 200,
    idempotent: true,
  },
  searchLogs: {
    id: "readLogs",
    method: "GET",
    path: "/api/flow-runs/:id/logs",
    tag: "logs",
    summary: "Read a flow run's logs after a cursor, oldest first; `q` keeps the lines containing a text",
    params: IdParams,
    query: SearchLogsQuery,
    response: z.object({ items: z.array(record<LogRecord>()), nextCursor: z.string() }),
    status: 200,
    idempotent: true,
  },
  runEvents: {
    id: "streamFlowRunEvents",
    method: "GET",
    path: "/api/flow-runs/:id/events",
    tag: "flow-runs",
    summary: "Server-sent events: the run, its task runs and its logs as they change, until it is finished",
    params: IdParams,
    query: RunEventsQuery,
    status: 200,
    idempotent: true,
  },
} as const satisfies Record<string, Operation>;
