/**
 * The Gantt of a run's task runs: one row per task run (virtualized), a pale bar for the time it waited
 * (created → started) and a coloured bar for the time it ran (started → ended, or now). A retried task
 * run shows each attempt as its own bar, coloured by how it ended, with the waits for its retries between
 * them (from its state history, read for the rows in view). Zoom with the slider or ctrl+wheel; the time
 * axis scrolls horizontally.
 */
import { useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { TaskRun } from "../../client/index.js";
import { useApi } from "../api/context.js";
import { formatClock, formatDuration, stateColor } from "../components/format.js";
import { attemptSpans } from "./attempts.js";

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
          <i className="wait" /> waiting <i className="run" /> running (one bar per attempt) <i className="retry" /> retried
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
                {t.attempts > 1 ? (
                  <AttemptBars taskRun={t} now={now} px={px} />
                ) : (
                  <Bars wait={[created, started ?? ended ?? now]} run={started === null ? null : [started, ended ?? now]} taskRun={t} px={px} />
                )}
                {t.attempts > 1 && (
                  <span className="tattempts" style={{ left: LABEL_W + px(ended ?? now) + 4 }}>
                    ↻ {t.attempts}
                  </span>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/** One attempt's bars: pale while waiting, in the state's colour while running. */
function Bars({ wait, run, taskRun, px }: { wait: [number, number]; run: [number, number] | null; taskRun: TaskRun; px: (t: number) => number }) {
  return (
    <>
      <span className="tbar wait" style={{ left: LABEL_W + px(wait[0]), width: Math.max(1, px(wait[1]) - px(wait[0])) }} />
      {run && (
        <span
          className="tbar run"
          title={`${taskRun.state.name} · ran ${formatDuration(run[1] - run[0])}`}
          style={{ left: LABEL_W + px(run[0]), width: Math.max(2, px(run[1]) - px(run[0])), background: stateColor(taskRun.state.name) }}
        />
      )}
    </>
  );
}

/**
 * A retried task run: its state history (read when its row comes into view, again when it changes) drawn
 * as one bar per attempt and the waits between them. Until it is read, the run shows as one bar.
 */
function AttemptBars({ taskRun, now, px }: { taskRun: TaskRun; now: number; px: (t: number) => number }) {
  const { client } = useApi();
  const states = useQuery({
    queryKey: ["task-run-states", taskRun.id, taskRun.version],
    queryFn: () => client.listTaskRunStates(taskRun.id),
    staleTime: Infinity,
  });
  const created = Date.parse(taskRun.createdAt);
  const spans = useMemo(() => (states.data ? attemptSpans(created, states.data, now) : null), [states.data, created, now]);
  if (!spans) {
    const started = taskRun.startedAt ? Date.parse(taskRun.startedAt) : null;
    const ended = taskRun.endedAt ? Date.parse(taskRun.endedAt) : now;
    return <Bars wait={[created, started ?? ended]} run={started === null ? null : [started, ended]} taskRun={taskRun} px={px} />;
  }
  return (
    <>
      {spans.map((span, i) => (
        <span
          key={i}
          className={`tbar ${span.kind}`}
          data-attempt={span.attempt}
          title={
            span.kind === "wait"
              ? `waited ${formatDuration(span.to - span.from)} for attempt ${span.attempt}`
              : `attempt ${span.attempt} · ${span.open ? "running" : span.outcome} · ran ${formatDuration(span.to - span.from)}${span.message ? ` · ${span.message}` : ""}`
          }
          style={{
            left: LABEL_W + px(span.from),
            width: Math.max(span.kind === "run" ? 2 : 1, px(span.to) - px(span.from)),
            ...(span.kind === "run" ? { background: stateColor(span.outcome) } : {}),
          }}
        />
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
