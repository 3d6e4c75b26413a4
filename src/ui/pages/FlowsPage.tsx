/** Flows: one row per flow name with its latest version, where it runs, and its number of versions. */
import { useMemo } from "react";
import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import type { Flow } from "../../client/index.js";
import { errorText, useApi } from "../api/context.js";
import { allPages } from "../api/pages.js";
import { formatTime } from "../components/format.js";

export function FlowsPage() {
  const { client } = useApi();
  const flows = useQuery({ queryKey: ["flows"], queryFn: () => allPages((c) => client.listFlows({ limit: 1000, ...(c ? { cursor: c } : {}) }), 20_000) });
  const byName = useMemo(() => {
    const groups = new Map<string, Flow[]>();
    for (const f of flows.data ?? []) groups.set(f.name, [...(groups.get(f.name) ?? []), f]);
    return [...groups.entries()]
      .map(([name, versions]) => ({ name, versions: versions.sort((a, b) => b.version - a.version) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [flows.data]);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Flows</h1>
        <span className="muted">{byName.length} flows</span>
      </div>
      {flows.error && <div className="error-box">{errorText(flows.error)}</div>}
      <table className="plain">
        <thead>
          <tr>
            <th>Flow</th>
            <th>Latest</th>
            <th>Versions</th>
            <th>Environment</th>
            <th>Storage</th>
            <th>Labels</th>
            <th>Tasks</th>
            <th>Parameters</th>
            <th>Registered</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {byName.map(({ name, versions }) => {
            const f = versions[0] as Flow;
            const params = Object.keys((f.parameterSchema as { properties?: object }).properties ?? {});
            return (
              <tr key={name} data-flow={name}>
                <td>
                  <Link to={`/flows/${encodeURIComponent(name)}`}>
                    <b>{name}</b>
                  </Link>
                  {f.description && <div className="muted small">{f.description}</div>}
                </td>
                <td>v{f.version}</td>
                <td>{versions.length}</td>
                <td>{f.environment.type}</td>
                <td>{f.storage.type}</td>
                <td>
                  {f.labels.map((l) => (
                    <span key={l} className="label">
                      {l}
                    </span>
                  ))}
                </td>
                <td>{f.taskGraph.tasks.length}</td>
                <td className="ellipsis" title={params.join(", ")}>
                  {params.join(", ") || <span className="muted">none</span>}
                </td>
                <td>{formatTime(f.createdAt)}</td>
                <td className="actions">
                  <Link className="button" to={`/flows/${encodeURIComponent(name)}#run`}>
                    Run…
                  </Link>{" "}
                  <Link to={`/runs?flow=${encodeURIComponent(name)}`}>runs</Link>
                </td>
              </tr>
            );
          })}
          {!flows.isLoading && byName.length === 0 && (
            <tr>
              <td colSpan={10} className="empty">
                No flows registered yet: register one with `sluice register`.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
