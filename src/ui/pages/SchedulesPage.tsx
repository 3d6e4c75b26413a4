/** Schedules: each schedule's flow and timing, its next slots (its runs waiting in Scheduled), pause and resume. */
import { useMemo } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Schedule } from "../../client/index.js";
import { errorText, useApi } from "../api/context.js";
import { allPages } from "../api/pages.js";
import { formatDuration, formatTime } from "../components/format.js";

export function SchedulesPage() {
  const { client } = useApi();
  const schedules = useQuery({
    queryKey: ["schedules-all"],
    queryFn: () => allPages((c) => client.listSchedules({ limit: 1000, ...(c ? { cursor: c } : {}) }), 5000),
    refetchInterval: 10_000,
  });
  const flows = useQuery({
    queryKey: ["flows"],
    queryFn: () => allPages((c) => client.listFlows({ limit: 1000, ...(c ? { cursor: c } : {}) }), 20_000),
    staleTime: 30_000,
  });
  const flowById = useMemo(() => new Map((flows.data ?? []).map((f) => [f.id, f])), [flows.data]);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Schedules</h1>
        <span className="muted">{schedules.data?.length ?? 0} schedules</span>
      </div>
      {schedules.error && <div className="error-box">{errorText(schedules.error)}</div>}
      <table className="plain">
        <thead>
          <tr>
            <th>Schedule</th>
            <th>Flow</th>
            <th>Timing</th>
            <th>Next slots</th>
            <th>Runs created up to</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(schedules.data ?? []).map((s) => {
            const flow = flowById.get(s.flowId);
            return (
              <tr key={s.id} data-schedule={s.id}>
                <td>
                  <b>{s.name ?? s.id.slice(0, 8)}</b>
                </td>
                <td>
                  {flow ? (
                    <Link to={`/flows/${encodeURIComponent(flow.name)}?version=${flow.version}`}>
                      {flow.name} <span className="muted">v{flow.version}</span>
                    </Link>
                  ) : (
                    s.flowId.slice(0, 8)
                  )}
                </td>
                <td className="mono">
                  {s.cron ? `${s.cron}${s.timezone && s.timezone !== "UTC" ? ` (${s.timezone})` : ""}` : `every ${formatDuration(s.intervalMs)}`}
                </td>
                <td>
                  <NextSlots schedule={s} />
                </td>
                <td>{formatTime(s.lastSlot)}</td>
                <td>
                  {s.active ? (
                    <span className="badge" data-state="active" style={{ "--c": "#16a34a" } as React.CSSProperties}>
                      <span className="dot" />
                      active
                    </span>
                  ) : (
                    <span className="badge" data-state="paused" style={{ "--c": "#6b7280" } as React.CSSProperties}>
                      <span className="dot" />
                      paused
                    </span>
                  )}
                </td>
                <td className="actions">
                  <PauseButton schedule={s} />
                </td>
              </tr>
            );
          })}
          {!schedules.isLoading && (schedules.data ?? []).length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                No schedules.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function NextSlots({ schedule }: { schedule: Schedule }) {
  const { client } = useApi();
  const next = useQuery({
    queryKey: ["next-slots", schedule.id, schedule.updatedAt],
    queryFn: async () =>
      (await client.listFlowRuns({ scheduleId: schedule.id, state: ["Scheduled"], limit: 50 })).items
        .sort((a, b) => a.scheduledStart.localeCompare(b.scheduledStart))
        .slice(0, 3),
    refetchInterval: 10_000,
  });
  if (!schedule.active) return <span className="muted">paused</span>;
  const runs = next.data ?? [];
  if (runs.length === 0) return <span className="muted">{next.isLoading ? "…" : "none created yet"}</span>;
  return (
    <span className="slots">
      {runs.map((r) => (
        <Link key={r.id} to={`/runs/${r.id}`}>
          {formatTime(r.scheduledStart)}
        </Link>
      ))}
    </span>
  );
}

function PauseButton({ schedule }: { schedule: Schedule }) {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: () => client.updateSchedule(schedule.id, { active: !schedule.active }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["schedules-all"] }),
  });
  return (
    <>
      <button type="button" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
        {schedule.active ? "Pause" : "Resume"}
      </button>
      {toggle.error && <span className="field-error">{errorText(toggle.error)}</span>}
    </>
  );
}
