/**
 * Flow runs: a virtualized list of up to 10,000 runs, filtered by state, flow, label, time window and
 * free text (kept in the URL), kept live, with bulk cancel of the selected runs.
 */
import { useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { errorText, useApi } from "../api/context.js";
import { allPages, eachLimited } from "../api/pages.js";
import { EMPTY_FILTER, filterFromSearch, searchFromFilter, SINCE_CHOICES, type RunFilter } from "../api/run-filter.js";
import { RUNS_LIMIT } from "../api/run-changes.js";
import { useRunsList } from "../api/runs.js";
import { formatDuration, formatTime, isFinished, shortId, spanMs, STATES } from "../components/format.js";
import { StateBadge, StateCounts } from "../components/StateBadge.js";

const ROW = 34;

/** An ISO instant as the value of a datetime-local field (local time, to the minute); "" stays "". */
function localInput(iso: string): string {
  const at = new Date(iso);
  if (!iso || Number.isNaN(at.getTime())) return "";
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** A datetime-local field's value (local time) as an ISO instant; "" stays "". */
const instantOf = (local: string): string => (local ? new Date(local).toISOString() : "");

export function RunsPage() {
  const { client } = useApi();
  const [search, setSearch] = useSearchParams();
  const filter = useMemo(() => filterFromSearch(search), [search]);
  const setFilter = (change: Partial<RunFilter>) => setSearch(searchFromFilter({ ...filter, ...change }), { replace: true });
  const { runs, isLoading, error, problem, truncated } = useRunsList(filter);
  const flows = useQuery({
    queryKey: ["flow-names"],
    queryFn: async () => [...new Set((await allPages((c) => client.listFlows({ limit: 1000, ...(c ? { cursor: c } : {}) }), 5000)).map((f) => f.name))].sort(),
    staleTime: 30_000,
  });
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: () => allPages((c) => client.listAgents({ limit: 1000, ...(c ? { cursor: c } : {}) }), 5000),
    staleTime: 30_000,
  });
  const agentName = useMemo(() => new Map((agents.data ?? []).map((a) => [a.id, a.name])), [agents.data]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulk, setBulk] = useState<string | null>(null);
  const [text, setText] = useState(filter.q);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: runs.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 15 });
  const counts = useMemo(() => {
    const out: Record<string, number> = {};
    for (const r of runs) out[r.state.name] = (out[r.state.name] ?? 0) + 1;
    return out;
  }, [runs]);
  const cancellable = runs.filter((r) => selected.has(r.id) && !isFinished(r.state.name));

  const cancelSelected = async () => {
    setBulk(`Cancelling ${cancellable.length}…`);
    const errors = await eachLimited(cancellable, 8, (r) => client.cancelFlowRun(r.id));
    setBulk(
      errors.length ? `${cancellable.length - errors.length} cancelled, ${errors.length} failed: ${errorText(errors[0])}` : `${cancellable.length} cancelled`,
    );
    setSelected(new Set());
  };
  const rangeChoice = filter.since || (filter.from || filter.to ? "custom" : "");
  const chooseRange = (choice: string) =>
    choice === "custom"
      ? setFilter({ since: "", from: new Date(Date.now() - 86_400_000).toISOString(), to: "" })
      : setFilter({ since: choice, from: "", to: "" });
  const toggleState = (state: string) =>
    setFilter({ states: filter.states.includes(state) ? filter.states.filter((s) => s !== state) : [...filter.states, state] });

  return (
    <div className="page runs-page">
      <div className="page-head">
        <h1>Flow runs</h1>
        <span className="muted" data-testid="run-count">
          {isLoading ? "loading…" : `${runs.length.toLocaleString()} runs${truncated ? ` (newest ${RUNS_LIMIT.toLocaleString()})` : ""}`}
        </span>
        <StateCounts counts={counts} />
        <span className="spacer" />
        {bulk && <span className="muted">{bulk}</span>}
        <button type="button" className="danger" disabled={cancellable.length === 0} onClick={() => void cancelSelected()}>
          Cancel selected{cancellable.length ? ` (${cancellable.length})` : ""}
        </button>
      </div>
      <div className="filters">
        <select aria-label="Flow" value={filter.flow} onChange={(e) => setFilter({ flow: e.target.value })}>
          <option value="">All flows</option>
          {(flows.data ?? []).map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
          {filter.flow && !(flows.data ?? []).includes(filter.flow) && <option value={filter.flow}>{filter.flow}</option>}
        </select>
        <input
          key={filter.label}
          aria-label="Label"
          placeholder="label(s), comma-separated"
          defaultValue={filter.label}
          onBlur={(e) => setFilter({ label: e.target.value.trim() })}
          onKeyDown={(e) => e.key === "Enter" && setFilter({ label: e.currentTarget.value.trim() })}
        />
        <select aria-label="Time range" value={rangeChoice} onChange={(e) => chooseRange(e.target.value)}>
          {SINCE_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        {rangeChoice === "custom" && (
          <>
            <input
              type="datetime-local"
              aria-label="Created from"
              value={localInput(filter.from)}
              onChange={(e) => setFilter({ from: instantOf(e.target.value) })}
            />
            <input
              type="datetime-local"
              aria-label="Created before"
              value={localInput(filter.to)}
              onChange={(e) => setFilter({ to: instantOf(e.target.value) })}
            />
          </>
        )}
        <form
          className="search"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ q: text.trim() });
          }}
        >
          <input
            type="search"
            aria-label="Search runs"
            placeholder="Name or id…"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              if (e.target.value === "") setFilter({ q: "" });
            }}
          />
        </form>
        <div className="state-chips" role="group" aria-label="State filter">
          {STATES.filter((s) => s !== "Mapped").map((s) => (
            <button
              key={s}
              type="button"
              className={`state-chip${filter.states.includes(s) ? " on" : ""}`}
              aria-pressed={filter.states.includes(s)}
              onClick={() => toggleState(s)}
            >
              <StateBadge state={s} />
            </button>
          ))}
        </div>
        {searchFromFilter(filter).toString() && (
          <button
            type="button"
            className="link"
            onClick={() => {
              setText("");
              setSearch(searchFromFilter(EMPTY_FILTER), { replace: true });
            }}
          >
            Clear filters
          </button>
        )}
      </div>
      {problem && <div className="error-box">{problem}</div>}
      {error && <div className="error-box">{errorText(error)}</div>}
      <div className="table runs-table">
        <div className="thead grid-runs">
          <span>
            <input
              type="checkbox"
              aria-label="Select all"
              checked={runs.length > 0 && selected.size === runs.length}
              onChange={(e) => setSelected(e.target.checked ? new Set(runs.map((r) => r.id)) : new Set())}
            />
          </span>
          <span>Run</span>
          <span>State</span>
          <span>Flow</span>
          <span>Labels</span>
          <span>Agent</span>
          <span>Start</span>
          <span>Duration</span>
        </div>
        <div className="tbody" ref={scroller} data-testid="runs-scroll">
          {!isLoading && runs.length === 0 && <div className="empty">No runs match this filter.</div>}
          <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
            {virtual.getVirtualItems().map((v) => {
              const r = runs[v.index];
              if (!r) return null;
              return (
                <div key={r.id} className="trow-table grid-runs" data-run-id={r.id} data-state={r.state.name} style={{ transform: `translateY(${v.start}px)` }}>
                  <span>
                    <input
                      type="checkbox"
                      aria-label={`Select ${r.id}`}
                      checked={selected.has(r.id)}
                      onChange={(e) =>
                        setSelected((s) => {
                          const n = new Set(s);
                          if (e.target.checked) n.add(r.id);
                          else n.delete(r.id);
                          return n;
                        })
                      }
                    />
                  </span>
                  <span className="ellipsis">
                    <Link to={`/runs/${r.id}`}>{r.name ?? shortId(r.id)}</Link>
                  </span>
                  <span>
                    <StateBadge state={r.state.name} title={r.state.message} />
                  </span>
                  <span className="ellipsis">
                    {r.flowName} <span className="muted">v{r.flowVersion}</span>
                  </span>
                  <span className="ellipsis">
                    {r.labels.map((l) => (
                      <span key={l} className="label">
                        {l}
                      </span>
                    ))}
                  </span>
                  <span className="ellipsis">{r.agentId ? (agentName.get(r.agentId) ?? shortId(r.agentId)) : <span className="muted">–</span>}</span>
                  <span>{formatTime(r.startedAt ?? r.scheduledStart)}</span>
                  <span>{formatDuration(spanMs(r.startedAt, r.endedAt))}</span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}
