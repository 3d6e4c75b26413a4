/**
 * A task run's attempts, read from its state history, as the spans the timeline draws: waiting (from its
 * creation, or from a failed attempt, to the next Running) and running (from Running to the state that
 * ended the attempt: Retrying for an attempt that failed and will be retried, else the final state).
 */

/** The part of a state the spans need. */
export interface AttemptState {
  name: string;
  timestamp: string;
  attempt?: number | undefined;
  message?: string | undefined;
}

export interface AttemptSpan {
  kind: "wait" | "run";
  /** ms since the epoch. */
  from: number;
  to: number;
  /** The attempt the span runs, or waits for (1-based). */
  attempt: number;
  /** For a run span: the state that ended it (Retrying for a failed attempt), or the current one while it runs. */
  outcome: string;
  /** True while the span is still open (its end is `now`). */
  open: boolean;
  message?: string | undefined;
}

const WAITING = new Set(["Pending", "Scheduled", "Submitted"]);

/**
 * The spans of a task run created at `createdAt` (ms) with `states` (its history, in any order). An
 * open span ends at `now`; a task run that finished has none.
 */
export function attemptSpans(createdAt: number, states: readonly AttemptState[], now: number): AttemptSpan[] {
  const ordered = [...states].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const spans: AttemptSpan[] = [];
  let waitingFrom: number | null = createdAt;
  let running: { from: number; attempt: number } | null = null;
  let attempts = 0;
  for (const state of ordered) {
    const at = Date.parse(state.timestamp);
    if (WAITING.has(state.name)) continue;
    if (state.name === "Running") {
      attempts = state.attempt ?? attempts + 1;
      if (running) spans.push({ kind: "run", from: running.from, to: at, attempt: running.attempt, outcome: "Running", open: false });
      if (waitingFrom !== null) spans.push({ kind: "wait", from: waitingFrom, to: at, attempt: attempts, outcome: "Pending", open: false });
      running = { from: at, attempt: attempts };
      waitingFrom = null;
      continue;
    }
    if (running) spans.push({ kind: "run", from: running.from, to: at, attempt: running.attempt, outcome: state.name, open: false, message: state.message });
    else if (waitingFrom !== null)
      spans.push({ kind: "wait", from: waitingFrom, to: at, attempt: attempts + 1, outcome: state.name, open: false, message: state.message });
    running = null;
    // After a failed attempt the task run waits for its retry; after any other state it is done.
    waitingFrom = state.name === "Retrying" ? at : null;
  }
  if (running) spans.push({ kind: "run", from: running.from, to: Math.max(running.from, now), attempt: running.attempt, outcome: "Running", open: true });
  if (waitingFrom !== null)
    spans.push({ kind: "wait", from: waitingFrom, to: Math.max(waitingFrom, now), attempt: attempts + 1, outcome: "Pending", open: true });
  return spans;
}
