/**
 * A linear-time layered layout for graphs too large for elkjs to lay out while the user waits (elk's
 * layered algorithm took tens of seconds for a few thousand tasks here): each task goes in the layer after
 * its deepest upstream task, tasks in a layer are ordered by the mean position of their upstream tasks
 * (two sweeps), and edges are straight. Same output shape as the elk layout.
 */
import { NODE_H, NODE_W, type Layout, type Placed } from "./layout-types.js";

const GAP_X = 64;
const GAP_Y = 14;

export function layeredLayout(nodes: ReadonlyArray<{ key: string; upstream: readonly string[] }>): Layout {
  const index = new Map(nodes.map((n, i) => [n.key, i]));
  const ups = nodes.map((n) => n.upstream.map((u) => index.get(u)).filter((i): i is number => i !== undefined));
  const downs: number[][] = nodes.map(() => []);
  const indegree = ups.map((u) => u.length);
  ups.forEach((list, i) => list.forEach((u) => downs[u]?.push(i)));

  // Layers by longest path from the roots (Kahn's order); a cycle's remaining nodes go last.
  const layer = new Array<number>(nodes.length).fill(0);
  const queue: number[] = [];
  indegree.forEach((d, i) => d === 0 && queue.push(i));
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head] as number;
    for (const d of downs[i] ?? []) {
      layer[d] = Math.max(layer[d] ?? 0, (layer[i] ?? 0) + 1);
      if (--(indegree[d] as number) === 0) queue.push(d);
    }
  }
  const layers: number[][] = [];
  nodes.forEach((_, i) => (layers[layer[i] ?? 0] ??= []).push(i));

  // Order inside each layer by the mean position of the upstream tasks.
  const pos = new Array<number>(nodes.length).fill(0);
  const place = () => layers.forEach((l) => l?.forEach((n, k) => (pos[n] = k)));
  place();
  for (let sweep = 0; sweep < 2; sweep++) {
    for (const l of layers.slice(1)) {
      if (!l) continue;
      const mean = new Map(
        l.map((n) => {
          const u = ups[n] ?? [];
          return [n, u.length === 0 ? (pos[n] ?? 0) : u.reduce((s, x) => s + (pos[x] ?? 0), 0) / u.length];
        }),
      );
      l.sort((a, b) => (mean.get(a) ?? 0) - (mean.get(b) ?? 0));
      l.forEach((n, k) => (pos[n] = k));
    }
  }

  const tallest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const height = tallest * (NODE_H + GAP_Y);
  const placed = new Map<string, Placed>();
  layers.forEach((l, li) => {
    const offset = (height - (l?.length ?? 0) * (NODE_H + GAP_Y)) / 2;
    l?.forEach((n, k) => {
      const key = nodes[n]?.key ?? "";
      placed.set(key, { key, x: li * (NODE_W + GAP_X), y: offset + k * (NODE_H + GAP_Y) });
    });
  });
  const edges: Layout["edges"] = [];
  nodes.forEach((n) => {
    const b = placed.get(n.key);
    for (const u of n.upstream) {
      const a = placed.get(u);
      if (a && b)
        edges.push({
          from: u,
          to: n.key,
          points: [
            { x: a.x + NODE_W, y: a.y + NODE_H / 2 },
            { x: b.x, y: b.y + NODE_H / 2 },
          ],
        });
    }
  });
  return { nodes: placed, edges, width: layers.length * (NODE_W + GAP_X) - GAP_X, height };
}
