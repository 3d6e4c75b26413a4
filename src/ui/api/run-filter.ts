/**
 * The filter of the runs list, kept in the URL (`?state=Failed,Running&flow=etl&label=prod&from=...&q=...`)
 * so a filtered view can be shared and survives a reload.
 */
import type { FlowRun } from "../../client/index.js";

export interface RunFilter {
  states: string[];
  flow: string;
  label: string;
  /** A relative window ("1h", "24h", "7d") or empty for all time. */
  since: string;
  q: string;
}

export const EMPTY_FILTER: RunFilter = { states: [], flow: "", label: "", since: "", q: "" };

export const SINCE_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: "", label: "Any time" },
  { value: "15m", label: "Last 15 min" },
  { value: "1h", label: "Last hour" },
  { value: "24h", label: "Last 24 h" },
  { value: "7d", label: "Last 7 days" },
];

export function filterFromSearch(search: URLSearchParams): RunFilter {
  return {
    states: (search.get("state") ?? "").split(",").filter((s) => s.length > 0),
    flow: search.get("flow") ?? "",
    label: search.get("label") ?? "",
    since: search.get("since") ?? "",
    q: search.get("q") ?? "",
  };
}

export function searchFromFilter(filter: RunFilter): URLSearchParams {
  const search = new URLSearchParams();
  if (filter.states.length > 0) search.set("state", filter.states.join(","));
  if (filter.flow) search.set("flow", filter.flow);
  if (filter.label) search.set("label", filter.label);
  if (filter.since) search.set("since", filter.since);
  if (filter.q) search.set("q", filter.q);
  return search;
}

/** The start of a relative window ("15m", "1h", "7d"), or undefined for all time. */
export function sinceInstant(since: string, now = Date.now()): Date | undefined {
  const match = /^(\d+)([mhd])$/.exec(since);
  if (!match) return undefined;
  const unit = match[2] === "m" ? 60_000 : match[2] === "h" ? 3_600_000 : 86_400_000;
  return new Date(now - Number(match[1]) * unit);
}

/** The same filter applied in the page, for a server that does not filter by label, text or time. */
export function matchesFilter(run: FlowRun, filter: RunFilter, now = Date.now()): boolean {
  if (filter.states.length > 0 && !filter.states.includes(run.state.name)) return false;
  if (filter.flow && run.flowName !== filter.flow) return false;
  if (filter.label) {
    const wanted = filter.label
      .split(",")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    if (!wanted.every((l) => run.labels.includes(l))) return false;
  }
  const from = sinceInstant(filter.since, now);
  if (from && Date.parse(run.createdAt) < from.getTime()) return false;
  if (filter.q) {
    const q = filter.q.trim().toLowerCase();
    if (q && run.id !== filter.q.trim() && !(run.name ?? "").toLowerCase().includes(q) && !run.id.startsWith(q)) return false;
  }
  return true;
}
