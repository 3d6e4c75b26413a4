/**
 * Plans a batch of task-run upserts without touching the database: each update is decided in order
 * against the rows read at the start of the transaction (and the batch's own earlier updates), which
 * yields one result per update and, per (task key, map index), at most one row write and its history.
 * The repository then writes the whole plan with a few set-based statements; a key whose write loses
 * a race with another request turns its updates from the first write on into CONFLICT results.
 */
import { isFinished, makeState, type State } from "../../core/states.js";
import { decideTaskRunTransition } from "../domain/transitions.js";
import { timeOrderedId } from "./ids.js";
import { iso, stateOf } from "./rows.js";
import type { TaskRunRow, TaskRunUpdate } from "./task-run-rows.js";

/** The outcome of one update: the task run's row after it, or why it was refused. */
export type PlannedOutcome = { ok: true; key: string; row: TaskRunRow } | { ok: false; code: "CONFLICT"; message: string };

/** The one write of a key: a new row, or a change of a row read at `readVersion`. */
export interface PlannedWrite {
  kind: "insert" | "update";
  /** The row as the batch leaves it. */
  row: TaskRunRow;
  /** The version read at the start (update: the write applies only if the row is still there). */
  readVersion: number;
  /** Index in the batch of the first update that changed this key. */
  firstUpdate: number;
}

/** A history row to insert (in this order) if its key's write succeeds. */
export interface PlannedHistory {
  key: string;
  taskRunId: string;
  state: State;
}

export interface TaskRunPlan {
  outcomes: PlannedOutcome[];
  /** By key, in the order keys were first written (the creation order of new task runs). */
  writes: Map<string, PlannedWrite>;
  history: PlannedHistory[];
}

export const taskRunKey = (taskKey: string, mapIndex: number): string => `${mapIndex}\u0000${taskKey}`;

/** Decides every update of a batch; `existing` holds the rows of the batch's keys as read. */
export function planTaskRunUpdates(flowRunId: string, existing: readonly TaskRunRow[], updates: readonly TaskRunUpdate[], now: number): TaskRunPlan {
  const current = new Map(existing.map((r) => [taskRunKey(r.task_key, Number(r.map_index)), r]));
  const plan: TaskRunPlan = { outcomes: [], writes: new Map(), history: [] };
  updates.forEach((update, index) => {
    const key = taskRunKey(update.taskKey, update.mapIndex);
    const row = current.get(key);
    const label = `task run ${update.taskKey}[${update.mapIndex}]`;
    const decided = row ? change(row, update, label, now) : create(flowRunId, update, label, now);
    if ("refused" in decided) {
      plan.outcomes.push({ ok: false, code: "CONFLICT", message: decided.refused });
      return;
    }
    plan.outcomes.push({ ok: true, key, row: decided.row });
    if (!decided.state) return; // unchanged
    current.set(key, decided.row);
    const write = plan.writes.get(key);
    if (write) write.row = decided.row;
    else plan.writes.set(key, { kind: row ? "update" : "insert", row: decided.row, readVersion: row ? Number(row.version) : 0, firstUpdate: index });
    plan.history.push({ key, taskRunId: decided.row.id, state: decided.state });
  });
  return plan;
}

type Decision = { row: TaskRunRow; state?: State } | { refused: string };

const stampOf = (update: TaskRunUpdate, now: number): string =>
  update.state?.timestamp === undefined ? iso(now) : new Date(update.state.timestamp).toISOString();

function create(flowRunId: string, update: TaskRunUpdate, label: string, now: number): Decision {
  if (update.expectedVersion !== undefined && update.expectedVersion !== 0)
    return { refused: `${label} does not exist yet, so it is not at version ${update.expectedVersion}` };
  const timestamp = stampOf(update, now);
  const state: State = update.state ? { ...update.state, timestamp } : makeState("Pending", { timestamp });
  const row: TaskRunRow = {
    seq: 0,
    id: timeOrderedId(now),
    flow_run_id: flowRunId,
    task_key: update.taskKey,
    task_name: update.taskName ?? update.taskKey,
    map_index: update.mapIndex,
    state: state.name,
    state_json: JSON.stringify(state),
    version: 1,
    attempts: state.attempt ?? (state.name === "Running" ? 1 : 0),
    created_at: now,
    updated_at: now,
    started_at: state.name === "Running" ? now : null,
    ended_at: isFinished(state.name) ? now : null,
  };
  return { row, state };
}

function change(row: TaskRunRow, update: TaskRunUpdate, label: string, now: number): Decision {
  if (!update.state) return { row };
  const timestamp = stampOf(update, now);
  // A replay of the change the task run is already in (same state, same client timestamp). The row's
  // `state` column is its state's name, so the stored JSON is read only when the names match.
  if (row.state === update.state.name && update.state.timestamp !== undefined && stateOf(row.state_json).timestamp === timestamp) return { row };
  if (update.expectedVersion !== undefined && update.expectedVersion !== Number(row.version))
    return { refused: `${label} is at version ${row.version} (${row.state}), not the expected ${update.expectedVersion}` };
  const decision = decideTaskRunTransition(row.state, update.state.name);
  if (decision.kind === "noop") return { row };
  if (decision.kind === "reject") return { refused: `${label}: ${decision.reason}` };
  const state: State = { ...update.state, timestamp };
  const enteringRun = state.name === "Running" && row.state !== "Running";
  return {
    state,
    row: {
      ...row,
      task_name: row.task_name === row.task_key && update.taskName ? update.taskName : row.task_name,
      state: state.name,
      state_json: JSON.stringify(state),
      version: Number(row.version) + 1,
      attempts: Math.max(Number(row.attempts), state.attempt ?? (enteringRun ? Number(row.attempts) + 1 : 0)),
      updated_at: now,
      started_at: row.started_at ?? (state.name === "Running" ? now : null),
      ended_at: isFinished(state.name) ? now : null,
    },
  };
}
