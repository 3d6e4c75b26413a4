/**
 * Lays out a run's graph: with elkjs (layered, left to right, in a web worker so the page never blocks)
 * up to ELK_LIMIT tasks, and above that with the linear-time layered layout of layered.ts, as elk's
 * takes tens of seconds for thousands of tasks. Node sizes are fixed; the layout depends only on keys
 * and edges, so it is computed once per graph shape and reused while states change.
 */
import ELK, { type ElkNode } from "elkjs/lib/elk-api.js";
import workerUrl from "elkjs/lib/elk-worker.min.js?url";
import { layeredLayout } from "./layered.js";
import { NODE_H, NODE_W, type Layout, type Placed } from "./layout-types.js";

export { NODE_H, NODE_W, type Layout, type Placed } from "./layout-types.js";

/** Graphs with more tasks than this use the built-in layered layout. */
export const ELK_LIMIT = 400;

let elk: InstanceType<typeof ELK> | undefined;
const engine = () => (elk ??= new ELK({ workerUrl }));

export async function layoutGraph(nodes: ReadonlyArray<{ key: string; upstream: readonly string[] }>): Promise<Layout> {
  if (nodes.length > ELK_LIMIT) return layeredLayout(nodes);
  const keys = new Set(nodes.map((n) => n.key));
  const large = nodes.length > 150;
  const graph: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "48",
      "elk.spacing.nodeNode": "14",
      "elk.edgeRouting": large ? "POLYLINE" : "SPLINES",
      // Large graphs: the fast placement and no crossing-minimisation sweeps beyond one.
      ...(large
        ? { "elk.layered.nodePlacement.strategy": "SIMPLE", "elk.layered.crossingMinimization.thoroughness": "1", "elk.layered.thoroughness": "1" }
        : {}),
    },
    children: nodes.map((n) => ({ id: n.key, width: NODE_W, height: NODE_H })),
    edges: nodes.flatMap((n) => n.upstream.filter((u) => keys.has(u)).map((u, i) => ({ id: `${u}→${n.key}#${i}`, sources: [u], targets: [n.key] }))),
  };
  const out = await engine().layout(graph);
  const placed = new Map<string, Placed>();
  for (const c of out.children ?? []) placed.set(c.id, { key: c.id, x: c.x ?? 0, y: c.y ?? 0 });
  const edges = (out.edges ?? []).map((e) => {
    const section = e.sections?.[0];
    const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [];
    return { from: e.sources[0] ?? "", to: e.targets[0] ?? "", points };
  });
  return { nodes: placed, edges, width: out.width ?? 0, height: out.height ?? 0 };
}
