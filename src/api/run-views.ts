/**
 * Read views of one flow run made for the web UI: its task graph aggregated with its task runs, a
 * server-sent event stream of its changes, and a text search over its logs.
 */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, StateNameSchema, queryInt } from "./common.js";
import { FlowRunSchema } from "./flow-runs.js";
import { LogLevelSchema, LogRecordSchema } from "./logs.js";
import { TaskRunSchema, type TaskRun } from "./task-runs.js";

/** One node of a run's graph: a task of the flow with the state of its run(s). */
export const RunGraphNodeSchema = z.object({
  key: z.string(),
  name: z.string(),
  upstream: z.array(z.string()),
  mapped: z.boolean(),
  /** The task run's state; for a mapped task, its children's as one (any failure, else any active, else the most common); null before it starts. */
  state: StateNameSchema.nullable(),
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
  startedAt: IsoDate.nullable(),
  endedAt: IsoDate.nullable(),
});
export type RunGraphNode = z.output<typeof RunGraphNodeSchema>;

export const RunGraphSchema = z.object({ flowRunId: z.string(), nodes: z.array(RunGraphNodeSchema) });
export type RunGraph = z.output<typeof RunGraphSchema>;

/** The events of the run's stream: the SSE event name is `type`, its data the rest as JSON. */
export const RunEventSchema = z.discriminatedUnion("type", [
  /** The run itself (sent first, then on every change). */
  z.object({ type: z.literal("flow-run"), flowRun: FlowRunSchema }),
  /** Task runs created or changed since the previous event (all of them first, in batches). */
  z.object({ type: z.literal("task-runs"), items: z.array(TaskRunSchema) }),
  /** Log lines after the stream's cursor; `nextCursor` resumes a reconnected stream (`after`). */
  z.object({ type: z.literal("logs"), items: z.array(LogRecordSchema), nextCursor: z.string() }),
  /** The run is finished and everything was sent: the server closes the stream. */
  z.object({ type: z.literal("end") }),
]);
export type RunEvent = z.output<typeof RunEventSchema>;

export const RunEventsQuery = z.object({
  /** Send only log lines after this cursor (a reconnecting client passes the last `nextCursor`). */
  after: z.string().regex(/^\d+$/, "a cursor from a previous logs event's nextCursor").optional(),
  /** Minimum log level of the `logs` events. */
  level: LogLevelSchema.optional(),
});

export const SearchLogsQuery = z.object({
  /** Lines whose message contains this text, case-insensitive. */
  q: z.string().min(1).max(500),
  /** Only lines after this cursor. */
  after: z.string().regex(/^\d+$/, "a cursor from a previous answer's nextCursor").optional(),
  level: LogLevelSchema.optional(),
  taskRunId: z.string().optional(),
  /** At most this many matching lines. */
  limit: queryInt(1, 5000, 1000),
});

export const SearchLogsResponse = z.object({
  items: z.array(LogRecordSchema),
  /** Where the search stopped: pass as `after` for more matches (absent when every line was searched). */
  nextCursor: z.string().optional(),
});

const op = { tag: "flow-runs" } as const;

export const runViewOperations = {
  getFlowRunGraph: defineOperation({
    ...op,
    id: "getFlowRunGraph",
    method: "GET",
    path: "/api/flow-runs/:id/graph",
    summary: "A run's task graph with its task runs' states (a mapped task as one node with per-state counts)",
    params: IdParams,
    response: RunGraphSchema,
    status: 200,
    idempotent: true,
  }),
  streamFlowRunEvents: defineOperation({
    ...op,
    id: "streamFlowRunEvents",
    method: "GET",
    path: "/api/flow-runs/:id/events",
    summary: "Server-sent events (text/event-stream): the run, its task runs and its logs as they change, until it is finished",
    params: IdParams,
    query: RunEventsQuery,
    response: RunEventSchema,
    status: 200,
    idempotent: true,
  }),
  searchLogs: defineOperation({
    id: "searchLogs",
    method: "GET",
    path: "/api/flow-runs/:id/logs/search",
    tag: "logs",
    summary: "The run's log lines containing a text (case-insensitive), searched by the server over every line",
    params: IdParams,
    query: SearchLogsQuery,
    response: SearchLogsResponse,
    status: 200,
    idempotent: true,
  }),
};

interface GraphTask {
  key: string;
  name: string;
  upstream: string[];
  mapped: boolean;
}

/**
 * The nodes of a run's graph from its flow's tasks and its task runs. A mapped task is one node whose
 * counts are its children's states; task runs whose key is not in the flow's graph get nodes of their own.
 */
export function aggregateRunGraph(tasks: readonly GraphTask[], taskRuns: readonly TaskRun[]): RunGraphNode[] {
  const byKey = new Map<string, { parent?: TaskRun; children: TaskRun[] }>();
  for (const t of taskRuns) {
    let entry = byKey.get(t.taskKey);
    if (!entry) byKey.set(t.taskKey, (entry = { children: [] }));
    if (t.mapIndex < 0) entry.parent = t;
    else entry.children.push(t);
  }
  const nodes = tasks.map((task) => {
    const entry = byKey.get(task.key);
    byKey.delete(task.key);
    return nodeOf(task, entry);
  });
  for (const [key, entry] of byKey)
    nodes.push(nodeOf({ key, name: entry.parent?.taskName ?? entry.children[0]?.taskName ?? key, upstream: [], mapped: entry.children.length > 0 }, entry));
  return nodes;
}

function nodeOf(task: GraphTask, entry: { parent?: TaskRun; children: TaskRun[] } | undefined): RunGraphNode {
  const children = entry?.children ?? [];
  const runs = entry ? [...(entry.parent ? [entry.parent] : []), ...children] : [];
  const counts: Record<string, number> = {};
  for (const t of children.length > 0 ? children : runs) counts[t.state.name] = (counts[t.state.name] ?? 0) + 1;
  let startedAt: string | null = null;
  let endedAt: string | null = null;
  let attempts = 0;
  let retried = 0;
  for (const t of runs) {
    if (t.startedAt && (startedAt === null || t.startedAt < startedAt)) startedAt = t.startedAt;
    if (t.endedAt && (endedAt === null || t.endedAt > endedAt)) endedAt = t.endedAt;
    attempts = Math.max(attempts, t.attempts);
    if (t.attempts > 1) retried++;
  }
  return {
    key: task.key,
    name: task.name,
    upstream: task.upstream,
    mapped: task.mapped || children.length > 0,
    state: children.length > 0 ? summaryState(counts) : (entry?.parent?.state.name ?? null),
    taskRunId: entry?.parent?.id ?? null,
    counts,
    children: children.length,
    attempts: Math.max(1, attempts),
    retried,
    startedAt,
    endedAt,
  };
}

const SUMMARY_ORDER = ["Failed", "TriggerFailed", "TimedOut", "Running", "Retrying", "Submitted", "Pending", "Scheduled"] as const;

/** The state a group of runs shows as one: any failure, else anything active, else the most common. */
function summaryState(counts: Record<string, number>): RunGraphNode["state"] {
  for (const s of SUMMARY_ORDER) if (counts[s]) return s;
  const top = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
  return top ? (top[0] as RunGraphNode["state"]) : null;
}
