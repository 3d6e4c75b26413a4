/** Agents: what each deploys to, its labels, when it was last heard from, and the runs it has in flight. */
import { useMemo } from "react";
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { FlowRun } from "../../client/index.js";
import { errorText, useApi } from "../api/context.js";
import { allPages } from "../api/pages.js";
import { formatAgo, shortId } from "../components/format.js";
import { StateBadge } from "../components/StateBadge.js";

/** An agent heard from within this window is shown as online. */
const ONLINE_MS = 60_000;

export function AgentsPage() {
  const { client } = useApi();
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: () => allPages((c) => client.listAgents({ limit: 1000, ...(c ? { cursor: c } : {}) }), 5000),
    refetchInterval: 5000,
  });
  const inFlight = useQuery({
    queryKey: ["runs-in-flight"],
    queryFn: () => allPages((c) => client.listFlowRuns({ state: ["Submitted", "Running", "Retrying"], limit: 1000, ...(c ? { cursor: c } : {}) }), 10_000),
    refetchInterval: 5000,
  });
  const byAgent = useMemo(() => {
    const map = new Map<string, FlowRun[]>();
    for (const r of inFlight.data ?? []) if (r.agentId) map.set(r.agentId, [...(map.get(r.agentId) ?? []), r]);
    return map;
  }, [inFlight.data]);
  // Ages are counted from when the list was read (it is read again every five seconds).
  const now = agents.dataUpdatedAt;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Agents</h1>
        <span className="muted">{agents.data?.length ?? 0} registered</span>
      </div>
      {agents.error && <div className="error-box">{errorText(agents.error)}</div>}
      <table className="plain">
        <thead>
          <tr>
            <th>Agent</th>
            <th>Kind</th>
            <th>Labels</th>
            <th>Unlabelled runs</th>
            <th>Last heartbeat</th>
            <th>Runs in flight</th>
          </tr>
        </thead>
        <tbody>
          {(agents.data ?? []).map((a) => {
            const runs = byAgent.get(a.id) ?? [];
            const online = now - Date.parse(a.lastSeen) < ONLINE_MS;
            return (
              <tr key={a.id} data-agent={a.name}>
                <td>
                  <span className={`status-dot ${online ? "on" : "off"}`} title={online ? "online" : "not heard from for a minute"} /> <b>{a.name}</b>{" "}
                  <span className="muted mono small">{shortId(a.id)}</span>
                </td>
                <td>{a.kind}</td>
                <td>
                  {a.labels.map((l) => (
                    <span key={l} className="label">
                      {l}
                    </span>
                  ))}
                  {a.labels.length === 0 && <span className="muted">–</span>}
                </td>
                <td>{a.acceptUnlabelled ? "accepted" : "refused"}</td>
                <td title={a.lastSeen}>{formatAgo(a.lastSeen, now)}</td>
                <td>
                  {runs.length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    runs.slice(0, 5).map((r) => (
                      <Link key={r.id} to={`/runs/${r.id}`} className="inline-run">
                        <StateBadge state={r.state.name} /> {r.flowName}
                      </Link>
                    ))
                  )}
                  {runs.length > 5 && <Link to={`/runs?state=Submitted,Running,Retrying`}> +{runs.length - 5} more</Link>}
                </td>
              </tr>
            );
          })}
          {!agents.isLoading && (agents.data ?? []).length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No agents: start one with `sluice agent start`.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
