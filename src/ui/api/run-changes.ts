/**
 * How the runs list merges what a live refresh brought: the cursor of its looks for changes, and the
 * merge itself (pure functions, so they are tested without a page).
 */
import type { FlowRun } from "../../client/index.js";
import { matchesFilter, type RunFilter } from "./run-filter.js";

/** The most runs the list holds (newest first). */
export const RUNS_LIMIT = 10_000;

/** Where a filter's next look for changes starts: the newest change seen, and when (page clock) it moved. */
export interface ChangeCursor {
  at: number;
  movedAt: number;
}

/** The cursor after `changes` were seen at `now`. */
export const advance = (cursor: ChangeCursor, changes: readonly FlowRun[], now: number): ChangeCursor => {
  const newest = newestChange(changes);
  return newest > cursor.at ? { at: newest, movedAt: now } : cursor;
};

/**
 * Where the next look starts: `overlapMs` before the cursor while it moved less than `overlapMs` ago (a
 * change committed late carries an earlier time), then the cursor itself.
 */
export const changesFrom = (cursor: ChangeCursor, now: number, overlapMs: number): number =>
  now - cursor.movedAt < overlapMs ? cursor.at - overlapMs : cursor.at;

const newestFirst = (a: FlowRun, b: FlowRun) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1);

/** The newest `updatedAt` of a list, as ms. */
export const newestChange = (runs: readonly FlowRun[]): number => runs.reduce((max, r) => Math.max(max, Date.parse(r.updatedAt)), 0);

/** `old` with the changed runs merged in: those matching the filter replace or join, the others leave. */
export function mergeChanges(old: readonly FlowRun[], changed: readonly FlowRun[], filter: RunFilter, now = Date.now()): readonly FlowRun[] {
  const byId = new Map(old.map((r) => [r.id, r]));
  let touched = false;
  for (const run of changed) {
    const previous = byId.get(run.id);
    if (previous && previous.version === run.version && previous.updatedAt === run.updatedAt) continue;
    if (previous && previous.version > run.version) continue;
    if (matchesFilter(run, filter, now)) byId.set(run.id, run);
    else if (!byId.delete(run.id)) continue;
    touched = true;
  }
  return touched ? [...byId.values()].sort(newestFirst).slice(0, RUNS_LIMIT) : old;
}
