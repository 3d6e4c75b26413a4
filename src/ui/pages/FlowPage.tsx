/**
 * One flow: its versions, the chosen version's environment, storage, parameters and schedules, and the
 * run form generated from its parameter schema. The server's validation errors appear next to their
 * fields; `?from=<runId>` starts the form from a previous run's parameters ("Edit & run").
 */
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useMutation, useQuery } from "@tanstack/react-query";
import { SluiceApiError, type Flow, type FlowRun } from "../../client/index.js";
import { errorText, useApi } from "../api/context.js";
import { allPages } from "../api/pages.js";
import { formatTime } from "../components/format.js";
import { initialValue, type JsonSchema } from "../form/schema.js";
import { SchemaForm } from "../form/SchemaForm.js";

export function FlowPage() {
  const { name = "" } = useParams();
  const { client } = useApi();
  const [search, setSearch] = useSearchParams();
  const versions = useQuery({
    queryKey: ["flow-versions", name],
    queryFn: () => allPages((c) => client.listFlows({ name, limit: 1000, ...(c ? { cursor: c } : {}) }), 5000),
  });
  const wanted = Number(search.get("version") ?? NaN);
  const flow = (versions.data ?? []).find((f) => f.version === wanted) ?? versions.data?.[0];
  const schedules = useQuery({
    queryKey: ["schedules", flow?.id],
    queryFn: async () => (await client.listSchedules({ flowId: flow?.id ?? "", limit: 100 })).items,
    enabled: flow !== undefined,
  });

  if (versions.error)
    return (
      <div className="page">
        <div className="error-box">{errorText(versions.error)}</div>
      </div>
    );
  if (!versions.data)
    return (
      <div className="page">
        <div className="empty">Loading…</div>
      </div>
    );
  if (!flow)
    return (
      <div className="page">
        <div className="empty">No flow named “{name}”.</div>
      </div>
    );
  return (
    <div className="page flow-page">
      <div className="page-head">
        <h1>{flow.name}</h1>
        <select
          aria-label="Version"
          value={flow.version}
          onChange={(e) =>
            setSearch((s) => {
              const n = new URLSearchParams(s);
              n.set("version", e.target.value);
              return n;
            })
          }
        >
          {versions.data.map((v) => (
            <option key={v.id} value={v.version}>
              v{v.version} · {formatTime(v.createdAt)}
            </option>
          ))}
        </select>
        <Link to={`/runs?flow=${encodeURIComponent(flow.name)}`}>Runs of this flow →</Link>
      </div>
      {flow.description && <p>{flow.description}</p>}
      <div className="two-col">
        <section className="card">
          <h3>Where it runs</h3>
          <dl className="facts vertical">
            <div>
              <dt>Environment</dt>
              <dd>{flow.environment.type}</dd>
            </div>
            <div>
              <dt>Storage</dt>
              <dd>{flow.storage.type}</dd>
            </div>
            <div>
              <dt>Labels</dt>
              <dd>
                {flow.labels.map((l) => (
                  <span key={l} className="label">
                    {l}
                  </span>
                ))}
                {flow.labels.length === 0 && "–"}
              </dd>
            </div>
            <div>
              <dt>Tasks</dt>
              <dd>
                {flow.taskGraph.tasks.length} ({flow.taskGraph.tasks.filter((t) => t.mapped).length} mapped)
              </dd>
            </div>
            <div>
              <dt>Content</dt>
              <dd className="mono small">{flow.contentHash.slice(0, 16)}</dd>
            </div>
          </dl>
          <details>
            <summary>Environment</summary>
            <pre className="json">{JSON.stringify(flow.environment, null, 2)}</pre>
          </details>
          <details>
            <summary>Storage</summary>
            <pre className="json">{JSON.stringify(flow.storage, null, 2)}</pre>
          </details>
          <details>
            <summary>Parameter schema</summary>
            <pre className="json">{JSON.stringify(flow.parameterSchema, null, 2)}</pre>
          </details>
          <h3>Schedules</h3>
          {(schedules.data ?? []).length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="plain-list">
              {(schedules.data ?? []).map((s) => (
                <li key={s.id}>
                  <Link to="/schedules">{s.name ?? s.cron ?? `every ${s.intervalMs} ms`}</Link> {s.active ? "" : <span className="muted">(paused)</span>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <RunForm key={flow.id} flow={flow} fromRunId={search.get("from")} />
      </div>
    </div>
  );
}

/** The run form; with `fromRunId`, once that run is read, it starts from the run's parameters and labels. */
function RunForm({ flow, fromRunId }: { flow: Flow; fromRunId: string | null }) {
  const { client } = useApi();
  const from = useQuery({ queryKey: ["run", fromRunId], queryFn: () => client.getFlowRun(fromRunId ?? ""), enabled: fromRunId !== null });
  if (fromRunId !== null && !from.data)
    return (
      <section className="card run-form" id="run">
        {from.error ? (
          <div className="error-box">
            Cannot read run {fromRunId}: {errorText(from.error)}
          </div>
        ) : (
          <div className="muted">Reading run {fromRunId}…</div>
        )}
      </section>
    );
  return <RunFormFields key={from.data?.id ?? ""} flow={flow} from={from.data ?? null} />;
}

function RunFormFields({ flow, from }: { flow: Flow; from: FlowRun | null }) {
  const { client } = useApi();
  const navigate = useNavigate();
  const schema = flow.parameterSchema as JsonSchema;
  const start = useMemo(() => initialValue(schema, schema, { ...flow.parameterDefaults }), [schema, flow.parameterDefaults]);
  const [value, setValue] = useState<unknown>(() => (from ? initialValue(schema, schema, from.parameters) : start));
  const [labels, setLabels] = useState((from ?? flow).labels.join(", "));
  const [runName, setRunName] = useState("");
  const create = useMutation({
    mutationFn: () =>
      client.createFlowRun({
        flowId: flow.id,
        parameters: (value ?? {}) as Record<string, unknown>,
        labels: labels
          .split(",")
          .map((l) => l.trim())
          .filter((l) => l.length > 0),
        ...(runName.trim() ? { name: runName.trim() } : {}),
      }),
    onSuccess: (run) => void navigate(`/runs/${run.id}`),
  });
  const errors = useMemo(() => {
    const map = new Map<string, string>();
    const e = create.error;
    if (e instanceof SluiceApiError)
      for (const f of e.fields.length ? e.fields : e.field ? [{ field: e.field, message: e.message }] : []) {
        if (f.field.startsWith("parameters.")) map.set(f.field.slice("parameters.".length), f.message);
      }
    return map;
  }, [create.error]);
  const unplaced =
    create.error instanceof SluiceApiError ? (create.error.fields.length ? create.error.fields : []).filter((f) => !f.field.startsWith("parameters.")) : [];
  return (
    <section className="card run-form" id="run">
      <h3>
        Run {flow.name} v{flow.version}
        {from ? <span className="muted"> · from run {from.name ?? from.id.slice(0, 8)}</span> : null}
      </h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
        noValidate
      >
        <SchemaForm schema={schema} value={value} onChange={setValue} errors={errors} />
        <div className="fields">
          <div className="field">
            <label htmlFor="run-name" className="field-label">
              Run name <span className="type">optional</span>
            </label>
            <input id="run-name" value={runName} onChange={(e) => setRunName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="run-labels" className="field-label">
              Labels <span className="type">comma-separated</span>
            </label>
            <input id="run-labels" value={labels} onChange={(e) => setLabels(e.target.value)} />
          </div>
        </div>
        {create.error && (
          <div className="error-box" role="alert" data-testid="form-error">
            {errors.size > 0 ? "The server refused these parameters: see the fields marked above." : errorText(create.error)}
            {unplaced.map((f) => (
              <div key={f.field}>
                {f.field}: {f.message}
              </div>
            ))}
          </div>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create run"}
          </button>
          <button
            type="button"
            onClick={() => {
              setValue(start);
              create.reset();
            }}
          >
            Reset
          </button>
        </div>
      </form>
    </section>
  );
}
