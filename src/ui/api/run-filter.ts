/**
 * The filter of the runs list, kept in the URL (`?state=Failed,Running&flow=etl&label=prod&since=24h&q=...`,
 * or `from=...&to=...` for a fixed creation time range) so a filtered view can be shared and survives a
 * reload. The server does the filtering; `matchesFilter` is the same rule in the page, for the runs a live
 * refresh brings in (one may have left the filter by changing state) and for a relative window that moves.
 */
import { isStateName } from "../../core/states.js";
import type { FlowRun, ListFlowRunsFilter } from "../../client/index.js";

export interface RunFilter {
  states: string[];
  flow: string;
  /** Labels a run must all have, comma-separated. */
  label: string;
  /** A relative window ("1h", "24h", "7d") or empty; it wins over `from`/`to`. */
  since: string;
  /** A fixed creation range (ISO instants, either may be empty): at or after `from`, before `to`. */
  from: string;
  to: string;
  /** Free text: the start of a run id, or part of a run name. */
  q: string;
}

export const EMPTY_FILTER: RunFilter = { states: [], flow: "", label: "", since: "", from: "", to: "", q: "" };

/** The choices of the time range menu; "custom" shows the from/to fields. */
export const SINCE_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: "", label: "Any time" },
  { value: "15m", label: "Last 15 min" },
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 h" },
  { value: "7d", label: "Last 7 days" },
  { value: "custom", label: "Between…" },
];

const KEYS = ["flow", "label", "since", "from", "to", "q"] as const;

export function filterFromSearch(search: URLSearchParams): RunFilter {
  const filter: RunFilter = { ...EMPTY_FILTER, states: (search.get("state") ?? "").split(",").filter((s) => s.length > 0) };
  for (const key of KEYS) filter[key] = search.get(key) ?? "";
  return filter;
}

export function searchFromFilter(filter: RunFilter): URLSearchParams {
  const search = new URLSearchParams();
  if (filter.states.length > 0) search.set("state", filter.states.join(","));
  for (const key of KEYS) if (filter[key]) search.set(key, filter[key]);
  return search;
}

/** The labels of the filter as a list. */
export const filterLabels = (filter: RunFilter): string[] =>
  filter.label
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

/** The start of a relative window ("15m", "1h", "7d"), or undefined for all time. */
export function sinceInstant(since: string, now = Date.now()): Date | undefined {
  const match = /^(\d+)([mhd])$/.exec(since);
  if (!match) return undefined;
  const unit = match[2] === "m" ? 60_000 : match[2] === "h" ? 3_600_000 : 86_400_000;
  return new Date(now - Number(match[1]) * unit);
}

export interface CreatedRange {
  after?: Date;
  before?: Date;
  /** What is wrong with the range in the URL, for the page to show. */
  problem?: string;
}

/** The creation time range the filter asks for: a relative window, else the fixed from/to. */
export function createdRange(filter: RunFilter, now = Date.now()): CreatedRange {
  if (filter.since) {
    const after = sinceInstant(filter.since, now);
    return after ? { after } : { problem: `since=${filter.since} is not a window like 15m, 1h or 7d: choose a time range again` };
  }
  const range: CreatedRange = {};
  for (const [key, value] of [
    ["from", filter.from],
    ["to", filter.to],
  ] as const) {
    if (!value) continue;
    const at = new Date(value);
    if (Number.isNaN(at.getTime())) return { problem: `${key}=${value} is not a date and time: choose the range again` };
    if (key === "from") range.after = at;
    else range.before = at;
  }
  if (range.after && range.before && range.after >= range.before)
    return { problem: `the range starts (${range.after.toLocaleString()}) after it ends (${range.before.toLocaleString()}): swap them` };
  return range;
}

/**
 * The list query of the filter for the server. `withStates: false` leaves the state out: a live refresh
 * needs the runs that changed state, including those that left the filter, to drop them.
 */
export function serverQuery(filter: RunFilter, withStates = true, now = Date.now()): ListFlowRunsFilter {
  const range = createdRange(filter, now);
  const labels = filterLabels(filter);
  const q = filter.q.trim();
  const query: ListFlowRunsFilter = {};
  if (withStates && filter.states.length > 0) query.state = filter.states.filter(isStateName);
  if (filter.flow) query.flowName = filter.flow;
  if (labels.length > 0) query.label = labels;
  if (q) query.q = q;
  if (range.after) query.createdAfter = range.after.toISOString();
  if (range.before) query.createdBefore = range.before.toISOString();
  return query;
}

/** The filter's rule in the page (the server's: every label, id prefix or name part, creation range). */
export function matchesFilter(run: FlowRun, filter: RunFilter, now = Date.now()): boolean {
  if (filter.states.length > 0 && !filter.states.includes(run.state.name)) return false;
  if (filter.flow && run.flowName !== filter.flow) return false;
  if (!filterLabels(filter).every((l) => run.labels.includes(l))) return false;
  const range = createdRange(filter, now);
  const created = Date.parse(run.createdAt);
  if (range.after && created < range.after.getTime()) return false;
  if (range.before && created >= range.before.getTime()) return false;
  const q = filter.q.trim().toLowerCase();
  if (q && !run.id.startsWith(q) && !(run.name ?? "").toLowerCase().includes(q)) return false;
  return true;
}
