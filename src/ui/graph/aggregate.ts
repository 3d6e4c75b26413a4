/**
 * A run's graph built in the page from its flow's task graph and its task runs, for a server without
 * GET /api/flow-runs/:id/graph: the same nodes the server's endpoint answers. A mapped task is one node
 * whose counts are its children's states; an unmapped task counts its own state once.
 */
import type { Flow, TaskRun } from "../../client/index.js";
import type { RunGraphNode } from "../api/proposed.js";

type StateName = RunGraphNode["state"];

export function aggregateGraph(flow: Pick<Flow, "taskGraph">, taskRuns: readonly TaskRun[]): RunGraphNode[] {
  const byKey = new Map<string, { parent?: TaskRun; children: TaskRun[] }>();
  for (const t of taskRuns) {
    let entry = byKey.get(t.taskKey);
    if (!entry) byKey.set(t.taskKey, (entry = { children: [] }));
    if (t.mapIndex < 0) entry.parent = t;
    else entry.children.push(t);
  }
  const nodes: RunGraphNode[] = flow.taskGraph.tasks.map((task) => {
    const entry = byKey.get(task.key);
    byKey.delete(task.key);
    return nodeOf(task.key, task.name, task.upstream, task.mapped, entry);
  });
  // Task runs whose key is not in the registered graph (a flow that builds tasks at run time).
  for (const [key, entry] of byKey) nodes.push(nodeOf(key, entry.parent?.taskName ?? entry.children[0]?.taskName ?? key, [], entry.children.length > 0, entry));
  return nodes;
}

function nodeOf(key: string, name: string, upstream: string[], mapped: boolean, entry: { parent?: TaskRun; children: TaskRun[] } | undefined): RunGraphNode {
  const runs = entry ? [...(entry.parent ? [entry.parent] : []), ...entry.children] : [];
  const counted = entry && entry.children.length > 0 ? entry.children : runs;
  const counts: Record<string, number> = {};
  for (const t of counted) counts[t.state.name] = (counts[t.state.name] ?? 0) + 1;
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
  const own = entry?.parent;
  return {
    key,
    name,
    upstream,
    mapped: mapped || (entry?.children.length ?? 0) > 0,
    state: (entry && entry.children.length > 0 ? summaryState(counts) : (own?.state.name ?? null)) as StateName,
    taskRunId: own?.id ?? null,
    counts,
    children: entry?.children.length ?? 0,
    attempts: Math.max(1, attempts),
    retried,
    startedAt,
    endedAt,
  };
}

/** The state a group of runs shows as one: any failure, else anything active, else the most common. */
function summaryState(counts: Record<string, number>): string | null {
  const names = Object.keys(counts);
  if (names.length === 0) return null;
  for (const s of ["Failed", "TriggerFailed", "TimedOut", "Running", "Retrying", "Submitted", "Pending", "Scheduled"]) if (counts[s]) return s;
  return names.sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0))[0] ?? null;
}
