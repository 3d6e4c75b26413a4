/**
 * Plain log lines for non-interactive output (pipes, CI, files): one line per state change of a task run
 * (from Pending on) and per log record, except for large maps, whose children are summarised: their failures are listed
 * (up to a few per map) and one line reports the tally when every child has finished.
 */
import type { LogRecord, RunEvent } from "../../core/events.js";
import { FAILED_STATES, isFinished } from "../../core/states.js";
import { labelOf, type RunProgress, type TaskRunView } from "./progress.js";
import { formatDuration } from "./render.js";

export interface PlainOptions {
  /** Maps with more children than this are summarised instead of printed child by child. @default 10 */
  mapDetailLimit?: number;
  /** Failed children of a summarised map printed one by one before the rest are only counted. @default 5 */
  mapFailuresShown?: number;
}

const clock = (iso: string): string => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
};

function logLine(record: LogRecord): string {
  const who = record.taskName ? ` [${record.taskName}${record.mapIndex === null || record.mapIndex === undefined ? "" : `[${record.mapIndex}]`}]` : "";
  const fields = record.fields && Object.keys(record.fields).length > 0 ? ` ${safeJson(record.fields)}` : "";
  return `${clock(record.timestamp)} ${record.level.toUpperCase().padEnd(5)}${who} ${record.message}${fields}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return "[unprintable fields]";
  }
}

function taskLine(view: TaskRunView): string {
  const s = view.state;
  let detail = "";
  if (s.name === "Mapped") detail = ` (${s.mapCount ?? 0} children)`;
  else if (isFinished(s) && view.startedAt !== null && view.endedAt !== null) detail = ` (${formatDuration(view.endedAt - view.startedAt)})`;
  if (s.cached) detail += " (cached)";
  const why = s.name === "Success" || s.name === "Mapped" ? undefined : (s.error?.message ?? s.message);
  return `${clock(s.timestamp)} task ${labelOf(view)} ${s.name}${detail}${why ? `: ${why.split("\n")[0]}` : ""}`;
}

/**
 * Applies `event` to `progress` and returns the lines to print for it (often none for map children).
 * Call it with every event, in order.
 */
export function plainLines(progress: RunProgress, event: RunEvent, options: PlainOptions = {}): string[] {
  const limit = options.mapDetailLimit ?? 10;
  const failuresShown = options.mapFailuresShown ?? 5;
  if (event.type === "log") return [logLine(event.record)];
  if (event.type === "flow-run-state") {
    progress.apply(event);
    const why = event.state.error?.message ?? event.state.message;
    return [`${clock(event.state.timestamp)} flow ${event.flowName} ${event.state.name}${why ? `: ${why.split("\n")[0]}` : ""}`];
  }
  const view = progress.apply(event);
  // Pending is where every task run starts: not a change worth a line.
  if (!view || view.state.name === "Pending") return [];
  if (view.mapIndex === null) return [taskLine(view)];
  const tally = progress.tallyOf(view.taskKey, view.taskName);
  if (tally.mapCount === null || tally.mapCount <= limit) return [taskLine(view)];
  const lines: string[] = [];
  if (FAILED_STATES.has(view.state.name)) {
    if (tally.failuresShown < failuresShown) lines.push(taskLine(view));
    else if (tally.failuresShown === failuresShown)
      lines.push(`${clock(view.state.timestamp)} task ${view.taskKey}: more children did not succeed; they are counted in the summary line`);
    tally.failuresShown++;
  }
  if (isFinished(view.state) && tally.finished === tally.mapCount) {
    const parts = Object.entries(tally.byState).map(([name, n]) => `${n} ${name}`);
    const took = tally.firstStartedAt !== null && tally.lastEndedAt !== null ? ` in ${formatDuration(tally.lastEndedAt - tally.firstStartedAt)}` : "";
    lines.push(`${clock(view.state.timestamp)} task ${view.taskKey}: ${tally.mapCount} mapped runs finished${took}: ${parts.join(", ")}`);
  }
  return lines;
}
