/**
 * The Gantt of a run's task runs: one row per task run (virtualized), a pale bar for the time it waited
 * (created → started) and a coloured bar for the time it ran (started → ended, or now). Retried task runs
 * show their attempts; selecting one reads its state history and marks each attempt's start. Zoom with
 * the slider or ctrl+wheel; the time axis scrolls horizontally.
 */
import { useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { TaskRun } from "../../client/index.js";
import { useApi } from "../api/context.js";
import { formatClock, formatDuration, spanMs, stateColor } from "../components/format.js";

const ROW = 22;
const LABEL_W = 220;

export function TimelineView({
  taskRuns,
  runStart,
  runEnd,
  selected,
  onSelect,
}: {
  taskRuns: TaskRun[];
  runStart: string | null;
  runEnd: string | null;
  selected: string | null;
  onSelect: (taskKey: string | null) => void;
}) {
  const rows = useMemo(
    () =>
      [...taskRuns]
        .filter((t) => t.state.name !== "Mapped" || t.startedAt)
        .sort((a, b) => (a.startedAt ?? a.createdAt).localeCompare(b.startedAt ?? b.createdAt)),
    [taskRuns],
  );
  const now = Date.now();
  const t0 = Math.min(...rows.map((t) => Date.parse(t.createdAt)), runStart ? Date.parse(runStart) : Infinity);
  const t1 = Math.max(...rows.map((t) => (t.endedAt ? Date.parse(t.endedAt) : now)), runEnd ? Date.parse(runEnd) : 0);
  const total = Math.max(1, t1 - t0);
  const [zoom, setZoom] = useState(1);
  const scroller = useRef<HTMLDivElement>(null);
  const width = Math.max(600, (scroller.current?.clientWidth ?? 900) - LABEL_W - 20) * zoom;
  const px = (t: number) => ((t - t0) / total) * width;
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 20 });
  const selectedRun = rows.find((t) => t.taskKey === selected && t.attempts > 1);

  if (rows.length === 0) return <div className="empty">No task runs yet.</div>;
  return (
    <div className="timeline" data-testid="timeline">
      <div className="toolbar">
        <label>
          Zoom <input type="range" min={1} max={50} step={0.5} value={zoom} onChange={(e) => setZoom(Number(e.target.value))} />
        </label>
        <span className="muted">
          {formatDuration(total)} in all · {rows.length.toLocaleString()} task runs
        </span>
        <span className="legend">
          <i className="wait" /> waiting <i className="run" /> running <i className="retry" /> attempt start
        </span>
      </div>
      <div
        className="timeline-scroll"
        ref={scroller}
        onWheel={(e) => {
          if (!e.ctrlKey) return;
          e.preventDefault();
          setZoom((z) => Math.min(50, Math.max(1, z * Math.exp(-e.deltaY * 0.002))));
        }}
      >
        <div style={{ height: virtual.getTotalSize() + 24, width: width + LABEL_W, position: "relative" }}>
          <Axis t0={t0} total={total} width={width} />
          {virtual.getVirtualItems().map((v) => {
            const t = rows[v.index];
            if (!t) return null;
            const created = Date.parse(t.createdAt);
            const started = t.startedAt ? Date.parse(t.startedAt) : null;
            const ended = t.endedAt ? Date.parse(t.endedAt) : null;
            const label = t.mapIndex >= 0 ? `${t.taskName}[${t.mapIndex}]` : t.taskName;
            return (
              <div
                key={t.id}
                className={`trow${t.taskKey === selected ? " selected" : ""}`}
                style={{ top: v.start + 24, height: ROW }}
                onClick={() => onSelect(t.taskKey === selected ? null : t.taskKey)}
              >
                <span className="tlabel" style={{ width: LABEL_W }} title={label}>
                  {label}
                </span>
                <span className="tbar wait" style={{ left: LABEL_W + px(created), width: Math.max(1, px(started ?? ended ?? now) - px(created)) }} />
                {started !== null && (
                  <span
                    className="tbar run"
                    title={`${t.state.name} · ran ${formatDuration(spanMs(t.startedAt, t.endedAt))}${t.attempts > 1 ? ` · ${t.attempts} attempts` : ""}`}
                    style={{ left: LABEL_W + px(started), width: Math.max(2, px(ended ?? now) - px(started)), background: stateColor(t.state.name) }}
                  />
                )}
                {t.attempts > 1 && (
                  <span className="tattempts" style={{ left: LABEL_W + px(ended ?? now) + 4 }}>
                    ↻ {t.attempts}
                  </span>
                )}
                {selectedRun?.id === t.id && <Attempts taskRunId={t.id} px={px} />}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function Attempts({ taskRunId, px }: { taskRunId: string; px: (t: number) => number }) {
  const { client } = useApi();
  const states = useQuery({ queryKey: ["task-run-states", taskRunId], queryFn: () => client.listTaskRunStates(taskRunId) });
  return (
    <>
      {(states.data ?? [])
        .filter((s) => s.name === "Running")
        .map((s, i) => (
          <span key={i} className="tattempt" title={`attempt ${s.attempt ?? i + 1} started`} style={{ left: LABEL_W + px(Date.parse(s.timestamp)) }} />
        ))}
    </>
  );
}

function Axis({ t0, total, width }: { t0: number; total: number; width: number }) {
  const ticks = 8;
  return (
    <div className="taxis" style={{ left: LABEL_W, width }}>
      {Array.from({ length: ticks + 1 }, (_, i) => (
        <span key={i} style={{ left: (i / ticks) * width }}>
          +{formatDuration((i / ticks) * total)}
        </span>
      ))}
      <span className="t0">{formatClock(t0)}</span>
    </div>
  );
}
