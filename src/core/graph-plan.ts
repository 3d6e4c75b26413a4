/**
 * Validation and compilation of a flow's graph into the plan the runner walks: upstream and downstream
 * node indexes, roots, and reference nodes. A plan is compiled once per graph version.
 */
import { SluiceError } from "./errors.js";
import type { FlowGraph, TaskNode } from "./graph.js";
import { refsOf } from "./graph-input.js";

export interface GraphPlan {
  readonly nodes: readonly TaskNode[];
  /** Upstream node indexes of each node (data and state edges, no duplicates). */
  readonly upstream: readonly (readonly number[])[];
  /** Downstream node indexes of each node. */
  readonly downstream: readonly (readonly number[])[];
  /** Node indexes without upstream, in definition order. */
  readonly roots: readonly number[];
  /** Indexes of the nodes whose runs decide the flow run's final state. */
  readonly reference: readonly number[];
}

/** A task of a flow's graph as shown by `sluice flows` and the server. */
export interface TaskDescription {
  key: string;
  name: string;
  /** Keys of the upstream nodes. */
  upstream: string[];
  mapped: boolean;
  tags: string[];
  trigger: string;
  retries: number;
  timeoutMs: number | null;
  description?: string;
}

function upstreamKeys(node: TaskNode): string[] {
  const keys = new Set<string>();
  for (const ref of refsOf(node.input)) if (ref.source === "task") keys.add(ref.key);
  for (const key of node.stateUpstream) keys.add(key);
  return [...keys];
}

/** Finds one cycle (as a list of keys, first repeated last) by depth-first search, or null. */
function findCycle(graph: FlowGraph, upstream: readonly (readonly number[])[]): string[] | null {
  const color = new Uint8Array(graph.nodes.length); // 0 new, 1 on the path, 2 done
  const path: number[] = [];
  for (let start = 0; start < graph.nodes.length; start++) {
    if (color[start] !== 0) continue;
    // iterative DFS over upstream edges
    const stack: Array<[node: number, next: number]> = [[start, 0]];
    color[start] = 1;
    path.push(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, next] = top;
      const ups = upstream[node]!;
      if (next < ups.length) {
        top[1]++;
        const up = ups[next]!;
        if (color[up] === 1) {
          const cycle = path.slice(path.indexOf(up)).map((i) => graph.nodes[i]!.key);
          return [...cycle, cycle[0]!];
        }
        if (color[up] === 0) {
          color[up] = 1;
          path.push(up);
          stack.push([up, 0]);
        }
      } else {
        color[node] = 2;
        path.pop();
        stack.pop();
      }
    }
  }
  return null;
}

/** Validates the graph (cycles, reference tasks) and compiles its plan. Throws GRAPH_INVALID. */
export function compilePlan(graph: FlowGraph, referenceKeys: readonly string[] | undefined): GraphPlan {
  const indexOf = (key: string): number => graph.node(key)!.index;
  const upstream = graph.nodes.map((node) => upstreamKeys(node).map(indexOf));
  const cycle = findCycle(graph, upstream);
  if (cycle) {
    throw new SluiceError("GRAPH_INVALID", `flow "${graph.flowName}" has a cycle: ${cycle.reverse().join(" → ")}; remove one of these dependencies`, {
      field: cycle.join(","),
    });
  }
  const downstream: number[][] = graph.nodes.map(() => []);
  upstream.forEach((ups, i) => {
    for (const u of ups) downstream[u]!.push(i);
  });
  const roots = upstream.flatMap((ups, i) => (ups.length === 0 ? [i] : []));
  let reference: number[];
  if (referenceKeys && referenceKeys.length > 0) {
    reference = referenceKeys.map((key) => {
      const node = graph.node(key);
      if (!node) {
        throw new SluiceError(
          "GRAPH_INVALID",
          `flow "${graph.flowName}": reference task "${key}" is not in the flow; its task keys are: ${graph.nodes.map((n) => n.key).join(", ") || "(none)"}`,
          { field: "referenceTasks", value: key },
        );
      }
      return node.index;
    });
  } else {
    reference = downstream.flatMap((downs, i) => (downs.length === 0 ? [i] : []));
  }
  return { nodes: graph.nodes, upstream, downstream, roots, reference };
}

/** The graph's tasks as plain JSON. */
export function describeTasks(plan: GraphPlan): TaskDescription[] {
  return plan.nodes.map((node, i) => {
    const o = node.task.options;
    const d: TaskDescription = {
      key: node.key,
      name: node.task.name,
      upstream: plan.upstream[i]!.map((u) => plan.nodes[u]!.key),
      mapped: node.mapped,
      tags: [...o.tags],
      trigger: o.triggerName,
      retries: o.retries,
      timeoutMs: o.timeoutMs,
    };
    if (o.description !== undefined) d.description = o.description;
    return d;
  });
}
