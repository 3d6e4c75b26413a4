/**
 * Pure renderers of a RunProgress: the live frame (progress bar, counts by state, running tasks), the
 * final summary, and formatting helpers shared with the plain log lines. No I/O, no clock: `now` is a
 * parameter, so tests can render any moment.
 */
import { STATE_NAMES, type StateName } from "../../core/states.js";
import { labelOf, type RunProgress } from "./progress.js";

export interface FrameOptions {
  /** Terminal width; lines are cut to fit. @default 80 */
  width?: number;
  /** Running task runs listed by name. @default 5 */
  maxRunning?: number;
  /** ANSI colours. @default false */
  color?: boolean;
}

const COLORS: Partial<Record<StateName, string>> = {
  Success: "32",
  Mapped: "32",
  Failed: "31",
  TriggerFailed: "31",
  TimedOut: "31",
  Cancelled: "33",
  Retrying: "33",
  Skipped: "90",
  Running: "36",
};

export const paint = (text: string, code: string | undefined, color: boolean): string => (color && code ? `\x1b[${code}m${text}\x1b[0m` : text);

/** A duration for humans: "850 ms", "3.2 s", "2 m 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m} m ${String(s).padStart(2, "0")} s`;
}

/** A progress bar of `width` cells. */
export function progressBar(done: number, total: number, width: number): string {
  const ratio = total <= 0 ? 0 : Math.min(1, done / total);
  const full = Math.round(ratio * width);
  return `${"█".repeat(full)}${"░".repeat(width - full)}`;
}

/** "Success 510 · Running 8 · Failed 2", in the order of STATE_NAMES. */
export function countsLine(progress: RunProgress, color = false): string {
  const parts: string[] = [];
  for (const name of STATE_NAMES) {
    const n = progress.counts.get(name);
    if (n) parts.push(paint(`${name} ${n}`, COLORS[name], color));
  }
  return parts.length === 0 ? "no task runs yet" : parts.join(" · ");
}

/** Cuts a line to `width` visible characters (ANSI sequences are not counted). */
export function fit(line: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = line.replace(/\x1b\[[0-9;]*m/g, "");
  if (visible.length <= width) return line;
  const plain = visible.slice(0, Math.max(0, width - 1));
  return `${plain}…`;
}

/** The live frame: a few lines redrawn in place. */
export function renderFrame(progress: RunProgress, now: number, options: FrameOptions = {}): string[] {
  const width = Math.max(20, options.width ?? 80);
  const maxRunning = options.maxRunning ?? 5;
  const color = options.color ?? false;
  const state = progress.flowState?.name ?? "Pending";
  const total = progress.total;
  const done = progress.finished;
  const pct = total === 0 ? 0 : Math.floor((Math.min(done, total) / total) * 100);
  const lines = [
    `${progress.flowName}  ${paint(state, COLORS[state], color)}  ${formatDuration(progress.elapsed(now))}`,
    `${progressBar(done, total, Math.min(30, width - 25))} ${String(pct).padStart(3)}%  ${done}/${total} task runs`,
    countsLine(progress, color),
  ];
  let shown = 0;
  for (const id of progress.running) {
    if (shown === maxRunning) break;
    const view = progress.taskRuns.get(id);
    if (!view) continue;
    const attempt = view.attempts > 1 ? ` (attempt ${view.attempts})` : "";
    lines.push(`  ▸ ${labelOf(view)}  ${formatDuration(now - (view.startedAt ?? now))}${attempt}`);
    shown++;
  }
  if (progress.running.size > shown) lines.push(`  … ${progress.running.size - shown} more running`);
  return lines.map((l) => fit(l, width));
}

/** States listed by name in the summary when a task run ends in them. */
const REPORTED: ReadonlySet<StateName> = new Set<StateName>(["Failed", "TriggerFailed", "TimedOut", "Cancelled"]);

/** The summary printed when the run ends: final state, duration, counts, and the task runs that failed (at most `maxListed`). */
export function renderSummary(progress: RunProgress, options: { color?: boolean; maxListed?: number } = {}): string[] {
  const color = options.color ?? false;
  const maxListed = options.maxListed ?? 10;
  const state = progress.flowState;
  const name = state?.name ?? "Pending";
  const lines = [
    `Flow run ${progress.flowName}${progress.flowRunId ? ` (${progress.flowRunId})` : ""} ended ${paint(name, COLORS[name], color)} in ${formatDuration(progress.elapsed())}` +
      (state?.message ? `: ${state.message}` : ""),
    `  ${progress.taskRuns.size} task runs: ${countsLine(progress, color)}`,
  ];
  let listed = 0;
  let more = 0;
  for (const view of progress.taskRuns.values()) {
    if (!REPORTED.has(view.state.name)) continue;
    if (listed === maxListed) {
      more++;
      continue;
    }
    const why = view.state.error?.message ?? view.state.message ?? "";
    lines.push(`  ${paint(view.state.name, COLORS[view.state.name], color)} ${labelOf(view)}${why ? `: ${why.split("\n")[0]}` : ""}`);
    listed++;
  }
  if (more > 0) lines.push(`  … and ${more} more task runs that did not succeed (see --json for all)`);
  return lines;
}

/** The flow's returned value as one summary line, when it is JSON and short enough to read; else null. */
export function valueLine(value: unknown, max = 200): string | null {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return null;
  }
  if (text === undefined) return null;
  return `  value: ${text.length > max ? `${text.slice(0, max - 1)}… (${text.length} characters; see --json)` : text}`;
}
