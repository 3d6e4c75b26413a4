/** Every task run of the run as a virtualized table (name, map index, state, attempts, timing). */
import { useMemo, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { TaskRun } from "../../client/index.js";
import { formatDuration, formatTime, spanMs } from "../components/format.js";
import { StateBadge } from "../components/StateBadge.js";

export function TaskTable({ taskRuns, onSelect }: { taskRuns: TaskRun[]; onSelect: (key: string) => void }) {
  const rows = useMemo(() => [...taskRuns].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.mapIndex - b.mapIndex), [taskRuns]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => 30, overscan: 20 });
  if (rows.length === 0) return <div className="empty">No task runs yet.</div>;
  return (
    <div className="table" data-testid="task-table">
      <div className="thead grid-tasks">
        <span>Task</span>
        <span>State</span>
        <span>Attempts</span>
        <span>Started</span>
        <span>Duration</span>
      </div>
      <div className="tbody" ref={scroller}>
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
          {virtual.getVirtualItems().map((v) => {
            const t = rows[v.index];
            if (!t) return null;
            return (
              <div
                key={t.id}
                className="trow-table grid-tasks"
                data-task-key={t.taskKey}
                data-state={t.state.name}
                style={{ transform: `translateY(${v.start}px)` }}
                onClick={() => onSelect(t.taskKey)}
              >
                <span className="ellipsis">
                  {t.taskName}
                  {t.mapIndex >= 0 ? <span className="muted">[{t.mapIndex}]</span> : null}
                </span>
                <span>
                  <StateBadge state={t.state.name} title={t.state.message} />
                </span>
                <span>{t.attempts}</span>
                <span>{formatTime(t.startedAt)}</span>
                <span>{formatDuration(spanMs(t.startedAt, t.endedAt))}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
