/** Formatting of dates, durations and states, shared by every page. */
import { STATE_NAMES, type StateName } from "../../core/states.js";

export type { StateName };

/** Every state, in the order the filters show them. */
export const STATES: readonly StateName[] = STATE_NAMES;

// A mapped parent counts as still going here: the page waits for its children, not for the parent's state.
const FINISHED = new Set<string>(["Success", "Failed", "TriggerFailed", "Skipped", "Cancelled", "TimedOut"]);
export const isFinished = (state: string): boolean => FINISHED.has(state);
export const isFailure = (state: string): boolean => state === "Failed" || state === "TriggerFailed" || state === "TimedOut";

/** The colour of a state; the same in the graph, the timeline, the badges and the counts. */
export function stateColor(state: string | null | undefined): string {
  switch (state) {
    case "Success":
      return "#16a34a";
    case "Failed":
    case "TriggerFailed":
      return "#dc2626";
    case "TimedOut":
      return "#b91c1c";
    case "Running":
      return "#2563eb";
    case "Retrying":
      return "#d97706";
    case "Submitted":
      return "#7c3aed";
    case "Scheduled":
      return "#0891b2";
    case "Cancelled":
      return "#6b7280";
    case "Skipped":
      return "#a3a3a3";
    case "Mapped":
      return "#0d9488";
    case "Pending":
      return "#94a3b8";
    default:
      return "#cbd5e1";
  }
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

/** Milliseconds between two ISO instants; `end` defaults to now (a running span). */
export function spanMs(start: string | null | undefined, end: string | null | undefined, now = Date.now()): number | null {
  if (!start) return null;
  return (end ? Date.parse(end) : now) - Date.parse(start);
}

// Formatters are built once: toLocale*String builds one per call, which is slow over thousands of rows.
const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const DAY = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

/** A time of day, with the date when it is not today. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const d = new Date(iso);
  const time = TIME.format(d);
  return d.toDateString() === new Date().toDateString() ? time : `${DAY.format(d)} ${time}`;
}

/** A time of day only. */
export const formatClock = (ms: number): string => TIME.format(new Date(ms));

export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export const shortId = (id: string): string => id.slice(0, 8);
