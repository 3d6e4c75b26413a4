/**
 * A flow run: its header (state, timing, parameters, labels, where it runs, actions), why it failed when
 * it did, and three views of its tasks (graph, timeline, logs) plus a task table, all kept live.
 */
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { Flow, FlowRun } from "../../client/index.js";
import { errorText, useApi } from "../api/context.js";
import { runKey, useRunLive } from "../api/run-live.js";
import { formatDuration, formatTime, isFinished, shortId, spanMs } from "../components/format.js";
import { StateBadge, StateCounts } from "../components/StateBadge.js";
import type { RunGraphNode } from "../../api/run-views.js";
import { FailurePanel } from "./FailurePanel.js";
import { GraphView } from "./GraphView.js";
import { LogsView } from "./LogsView.js";
import { TaskTable } from "./TaskTable.js";
import { TimelineView } from "./TimelineView.js";
import { serverGraphMissing, useRunGraph, useServerGraph } from "./useRunGraph.js";

const VIEWS = ["graph", "timeline", "logs", "tasks"] as const;
type ViewName = (typeof VIEWS)[number];

export function RunPage() {
  const { id = "" } = useParams();
  const [search, setSearch] = useSearchParams();
  const view = (VIEWS as readonly string[]).includes(search.get("view") ?? "") ? (search.get("view") as ViewName) : "graph";
  const [selected, setSelected] = useState<string | null>(null);
  const cachedRun = useQueryClient().getQueryData<FlowRun>(runKey(id));
  const wasFinished = cachedRun ? isFinished(cachedRun.state.name) : false;
  const server = useServerGraph(id, wasFinished);
  // A finished run's graph comes from the server: its task runs are read only for the other views.
  const { run, taskRuns, flow, mode } = useRunLive(id, view !== "graph" || serverGraphMissing() || server.data === null);
  const finished = run.data ? isFinished(run.data.state.name) : false;
  const nodes = useRunGraph(flow.data, taskRuns.data, server.data);

  if (run.error)
    return (
      <div className="page">
        <div className="error-box">{errorText(run.error)}</div>
      </div>
    );
  if (!run.data)
    return (
      <div className="page">
        <div className="empty">Loading run…</div>
      </div>
    );
  const r = run.data;
  const setView = (v: ViewName) =>
    setSearch(
      (s) => {
        const n = new URLSearchParams(s);
        n.set("view", v);
        return n;
      },
      { replace: true },
    );
  const selectTask = (key: string | null) => {
    setSelected(key);
    if (key !== null && view === "graph") setView("logs");
  };

  return (
    <div className="page run-page">
      <RunHeader run={r} flow={flow.data} live={mode} />
      <FailurePanel run={r} onSelectTask={selectTask} onShowTasks={() => setView("tasks")} />
      <div className="tabs" role="tablist">
        {VIEWS.map((v) => (
          <button key={v} role="tab" type="button" aria-selected={v === view} className={v === view ? "active" : ""} onClick={() => setView(v)}>
            {v[0]?.toUpperCase()}
            {v.slice(1)}
          </button>
        ))}
        <span className="spacer" />
        {selected !== null && (
          <span className="chip">
            selected: {selected}{" "}
            <button type="button" onClick={() => setSelected(null)} aria-label="Clear selection">
              ×
            </button>
          </span>
        )}
      </div>
      <div className="view">
        {view === "graph" && nodes && (
          <div className="graph-summary" data-testid="graph-summary">
            <StateCounts counts={totalCounts(nodes)} />
          </div>
        )}
        {view === "graph" &&
          (nodes ? (
            nodes.length > 0 ? (
              <GraphView nodes={nodes} selected={selected} onSelect={selectTask} />
            ) : (
              <div className="empty">This flow has no tasks registered and no task runs yet.</div>
            )
          ) : (
            <div className="empty">Loading graph…</div>
          ))}
        {view === "timeline" && (
          <TimelineView taskRuns={taskRuns.data ?? []} runStart={r.startedAt} runEnd={r.endedAt} selected={selected} onSelect={setSelected} />
        )}
        {view === "logs" && (
          <LogsView
            flowRunId={r.id}
            active={!finished}
            mode={mode}
            taskRuns={taskRuns.data ?? []}
            selectedTask={selected}
            onClearTask={() => setSelected(null)}
          />
        )}
        {view === "tasks" && <TaskTable taskRuns={taskRuns.data ?? []} onSelect={selectTask} />}
      </div>
    </div>
  );
}

function RunHeader({ run, flow, live }: { run: FlowRun; flow: Flow | undefined; live: string }) {
  const { client } = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const agent = useQuery({
    queryKey: ["agent", run.agentId],
    queryFn: () => client.getAgent(run.agentId ?? ""),
    enabled: run.agentId !== null,
    staleTime: 60_000,
  });
  const cancel = useMutation({
    mutationFn: () => client.cancelFlowRun(run.id),
    onSuccess: (updated) => queryClient.setQueryData(runKey(run.id), updated),
  });
  const again = useMutation({
    mutationFn: () => client.createFlowRun({ flowId: run.flowId, parameters: run.parameters, labels: run.labels }),
    onSuccess: (created) => void navigate(`/runs/${created.id}`),
  });
  const finished = isFinished(run.state.name);
  const storage = flow?.storage as { type?: string; image?: string | null; imageName?: string | null; imageTag?: string | null } | undefined;
  const env = flow?.environment as { type?: string; metadata?: { image?: unknown } } | undefined;
  const image =
    storage?.image ??
    (storage?.imageName
      ? `${storage.imageName}${storage.imageTag ? `:${storage.imageTag}` : ""}`
      : typeof env?.metadata?.image === "string"
        ? env.metadata.image
        : null);
  const params = Object.entries(run.parameters);
  return (
    <header className="run-header">
      <div className="title-row">
        <h1>
          <Link to={`/flows/${encodeURIComponent(run.flowName)}`} className="flow-link">
            {run.flowName}
          </Link>
          <span className="muted"> / </span>
          {run.name ?? shortId(run.id)}
        </h1>
        <StateBadge state={run.state.name} title={run.state.message} />
        {!finished && (
          <span className="live-dot" title={live === "stream" ? "live (event stream)" : "live (refresh every second)"}>
            live
          </span>
        )}
        <span className="spacer" />
        {!finished && (
          <button type="button" className="danger" disabled={cancel.isPending || run.cancelRequested} onClick={() => cancel.mutate()}>
            {run.cancelRequested ? "Cancelling…" : "Cancel"}
          </button>
        )}
        <button type="button" disabled={again.isPending} onClick={() => again.mutate()}>
          Run again
        </button>
        <Link className="button" to={`/flows/${encodeURIComponent(run.flowName)}?version=${run.flowVersion}&from=${run.id}`}>
          Edit &amp; run…
        </Link>
      </div>
      {(cancel.error ?? again.error) && <div className="error-box">{errorText(cancel.error ?? again.error)}</div>}
      <dl className="facts">
        <div>
          <dt>Run id</dt>
          <dd className="mono">{run.id}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>v{run.flowVersion}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatTime(run.startedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd data-testid="duration">{formatDuration(spanMs(run.startedAt, run.endedAt))}</dd>
        </div>
        <div>
          <dt>Environment</dt>
          <dd>{env?.type ?? "–"}</dd>
        </div>
        <div>
          <dt>Storage</dt>
          <dd>{storage?.type ?? "–"}</dd>
        </div>
        <div>
          <dt>Image</dt>
          <dd className="mono">{image ?? "–"}</dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>{run.agentId ? <Link to="/agents">{agent.data?.name ?? shortId(run.agentId)}</Link> : "–"}</dd>
        </div>
        <div>
          <dt>Labels</dt>
          <dd>
            {run.labels.length
              ? run.labels.map((l) => (
                  <span key={l} className="label">
                    {l}
                  </span>
                ))
              : "–"}
          </dd>
        </div>
        <div className="wide">
          <dt>Parameters</dt>
          <dd className="params">
            {params.length
              ? params.map(([k, v]) => (
                  <span key={k} className="param">
                    <b>{k}</b>={JSON.stringify(v)}
                  </span>
                ))
              : "none"}
          </dd>
        </div>
      </dl>
      {run.state.message && !["Failed", "TriggerFailed", "TimedOut"].includes(run.state.name) && <p className="muted state-message">{run.state.message}</p>}
    </header>
  );
}

/** Task runs of the whole graph by state (a mapped task counts its children). */
function totalCounts(nodes: RunGraphNode[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of nodes) for (const [state, count] of Object.entries(n.counts)) out[state] = (out[state] ?? 0) + count;
  return out;
}
