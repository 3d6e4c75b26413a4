/**
 * The run's task graph on a canvas: elkjs positions, states as colours, a mapped task as one node with
 * its children's counts, retries as a badge. Pan by dragging, zoom with the wheel; only the nodes in
 * view are drawn and labels are dropped when zoomed far out, so 5,000 tasks stay smooth.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { RunGraphNode } from "../../api/run-views.js";
import { stateColor } from "../components/format.js";
import { layoutGraph, NODE_H, NODE_W, type Layout } from "../graph/layout.js";

interface View {
  x: number;
  y: number;
  k: number;
}

/** The view that shows the whole layout centred in the element, at most a little above full size. */
function fitView(el: HTMLElement, l: Layout): View {
  const k = Math.min(1.2, Math.max(0.02, Math.min((el.clientWidth - 40) / Math.max(1, l.width), (el.clientHeight - 40) / Math.max(1, l.height))));
  return { k, x: (el.clientWidth - l.width * k) / 2, y: Math.max(20, (el.clientHeight - l.height * k) / 2) };
}

export function GraphView({ nodes, selected, onSelect }: { nodes: RunGraphNode[]; selected: string | null; onSelect: (key: string | null) => void }) {
  const shape = useMemo(() => nodes.map((n) => `${n.key}<${n.upstream.join(",")}`).join("|"), [nodes]);
  const [layout, setLayout] = useState<Layout | null>(null);
  const [error, setError] = useState<string | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const view = useRef<View>({ x: 20, y: 20, k: 1 });
  const [, redraw] = useState(0);
  const byKey = useMemo(() => new Map(nodes.map((n) => [n.key, n])), [nodes]);

  // The layout depends only on the graph's shape, not on states: a new one is asked for when the shape
  // changes, and an answer for a shape no longer shown (or after the view is gone) is dropped.
  const laidOut = useRef<string | null>(null);
  useEffect(() => {
    if (laidOut.current === shape) return;
    laidOut.current = shape;
    layoutGraph(nodes)
      .then((l) => {
        if (laidOut.current !== shape) return;
        if (box.current) view.current = fitView(box.current, l);
        setLayout(l);
      })
      .catch((e: unknown) => laidOut.current === shape && setError(String(e)));
  }, [shape, nodes]);
  useEffect(
    () => () => {
      laidOut.current = null;
    },
    [],
  );

  // Draw.
  useEffect(() => {
    const c = canvas.current;
    const el = box.current;
    if (!c || !el || !layout) return;
    const dpr = window.devicePixelRatio || 1;
    const w = el.clientWidth;
    const h = el.clientHeight;
    if (c.width !== w * dpr || c.height !== h * dpr) {
      c.width = w * dpr;
      c.height = h * dpr;
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    const ctx = c.getContext("2d");
    if (!ctx) return;
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    const { x, y, k } = view.current;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * x, dpr * y);
    const left = -x / k;
    const top = -y / k;
    const right = left + w / k;
    const bottom = top + h / k;
    const visible = (px: number, py: number) => px + NODE_W >= left && px <= right && py + NODE_H >= top && py <= bottom;

    ctx.lineWidth = 1 / Math.max(k, 0.5);
    ctx.strokeStyle = dark ? "#475569" : "#cbd5e1";
    ctx.beginPath();
    for (const e of layout.edges) {
      const a = layout.nodes.get(e.from);
      const b = layout.nodes.get(e.to);
      if (!a || !b || (!visible(a.x, a.y) && !visible(b.x, b.y))) continue;
      const pts =
        e.points.length > 1
          ? e.points
          : [
              { x: a.x + NODE_W, y: a.y + NODE_H / 2 },
              { x: b.x, y: b.y + NODE_H / 2 },
            ];
      ctx.moveTo(pts[0]?.x ?? 0, pts[0]?.y ?? 0);
      for (const p of pts.slice(1)) ctx.lineTo(p.x, p.y);
    }
    ctx.stroke();

    const detail = k > 0.35;
    ctx.textBaseline = "middle";
    for (const p of layout.nodes.values()) {
      if (!visible(p.x, p.y)) continue;
      const n = byKey.get(p.key);
      if (!n) continue;
      const color = stateColor(n.state);
      if (!detail) {
        ctx.fillStyle = color;
        ctx.fillRect(p.x, p.y, NODE_W, NODE_H);
        continue;
      }
      ctx.fillStyle = dark ? "#1e293b" : "#ffffff";
      ctx.strokeStyle = p.key === selected ? (dark ? "#f8fafc" : "#0f172a") : dark ? "#334155" : "#cbd5e1";
      ctx.lineWidth = p.key === selected ? 2.5 : 1;
      roundRect(ctx, p.x, p.y, NODE_W, NODE_H, 6);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = color;
      roundRect(ctx, p.x, p.y, 6, NODE_H, 3);
      ctx.fill();
      ctx.fillStyle = dark ? "#e2e8f0" : "#0f172a";
      ctx.font = "600 12px system-ui, sans-serif";
      ctx.fillText(clip(ctx, n.name, NODE_W - 24), p.x + 14, p.y + 15);
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = dark ? "#94a3b8" : "#475569";
      const sub = n.mapped ? mappedLine(n) : (n.state ?? "not started");
      ctx.fillText(clip(ctx, sub, NODE_W - 24), p.x + 14, p.y + 31);
      if (n.mapped && n.children > 0) drawCountBar(ctx, n, p.x + 6, p.y + NODE_H - 3, NODE_W - 6);
      if (n.attempts > 1) {
        ctx.fillStyle = "#d97706";
        roundRect(ctx, p.x + NODE_W - 30, p.y + 4, 26, 14, 7);
        ctx.fill();
        ctx.fillStyle = "#fff";
        ctx.font = "600 10px system-ui, sans-serif";
        ctx.fillText(`↻${n.attempts}`, p.x + NODE_W - 26, p.y + 11);
      }
    }
  });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => redraw((n) => n + 1));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const drag = useRef<{ sx: number; sy: number; vx: number; vy: number; moved: boolean } | null>(null);
  const hit = (clientX: number, clientY: number): string | null => {
    const c = canvas.current;
    if (!c || !layout) return null;
    const r = c.getBoundingClientRect();
    const { x, y, k } = view.current;
    const gx = (clientX - r.left - x) / k;
    const gy = (clientY - r.top - y) / k;
    for (const p of layout.nodes.values()) if (gx >= p.x && gx <= p.x + NODE_W && gy >= p.y && gy <= p.y + NODE_H) return p.key;
    return null;
  };

  if (error) return <div className="empty">Cannot lay out the graph: {error}</div>;
  return (
    <div className="graph" ref={box} data-testid="graph" data-nodes={nodes.length} data-laid-out={layout ? "true" : "false"}>
      {!layout && <div className="graph-wait">Laying out {nodes.length.toLocaleString()} tasks…</div>}
      <canvas
        ref={canvas}
        onWheel={(e) => {
          const c = canvas.current;
          if (!c) return;
          const r = c.getBoundingClientRect();
          const { x, y, k } = view.current;
          const nk = Math.min(3, Math.max(0.01, k * Math.exp(-e.deltaY * 0.0015)));
          const mx = e.clientX - r.left;
          const my = e.clientY - r.top;
          view.current = { k: nk, x: mx - ((mx - x) * nk) / k, y: my - ((my - y) * nk) / k };
          redraw((n) => n + 1);
        }}
        onPointerDown={(e) => {
          drag.current = { sx: e.clientX, sy: e.clientY, vx: view.current.x, vy: view.current.y, moved: false };
          (e.target as HTMLElement).setPointerCapture(e.pointerId);
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d) return;
          if (Math.abs(e.clientX - d.sx) + Math.abs(e.clientY - d.sy) > 3) d.moved = true;
          view.current = { ...view.current, x: d.vx + e.clientX - d.sx, y: d.vy + e.clientY - d.sy };
          redraw((n) => n + 1);
        }}
        onPointerUp={(e) => {
          const d = drag.current;
          drag.current = null;
          if (d && !d.moved) {
            const key = hit(e.clientX, e.clientY);
            onSelect(key === selected ? null : key);
          }
        }}
      />
      <div className="graph-tools">
        <button
          type="button"
          onClick={() => {
            if (!layout || !box.current) return;
            view.current = fitView(box.current, layout);
            redraw((n) => n + 1);
          }}
        >
          Fit
        </button>
        <button
          type="button"
          onClick={() => {
            view.current = { ...view.current, k: Math.min(3, view.current.k * 1.25) };
            redraw((n) => n + 1);
          }}
        >
          +
        </button>
        <button
          type="button"
          onClick={() => {
            view.current = { ...view.current, k: Math.max(0.01, view.current.k / 1.25) };
            redraw((n) => n + 1);
          }}
        >
          −
        </button>
      </div>
    </div>
  );
}

function mappedLine(n: RunGraphNode): string {
  const done = n.counts.Success ?? 0;
  const failed = (n.counts.Failed ?? 0) + (n.counts.TriggerFailed ?? 0) + (n.counts.TimedOut ?? 0);
  return `mapped ×${n.children.toLocaleString()} · ${done} ok${failed ? ` · ${failed} failed` : ""}`;
}

function drawCountBar(ctx: CanvasRenderingContext2D, n: RunGraphNode, x: number, y: number, width: number) {
  let at = x;
  for (const [state, count] of Object.entries(n.counts)) {
    const w = (count / n.children) * width;
    ctx.fillStyle = stateColor(state);
    ctx.fillRect(at, y, w, 3);
    at += w;
  }
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

function clip(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
