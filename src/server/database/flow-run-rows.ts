/**
 * The flow_runs row, its API form, and `writeFlowRunState`: the one statement that changes a run's state
 * (optimistic: it applies only if the row's version is still the one read) plus its history row.
 */
import { isFinished, type State, type StateName } from "../../core/states.js";
import type { FlowRun } from "../../api/flow-runs.js";
import type { SqlExecutor } from "./driver.js";
import { iso, isoOrNull, parseJson, stateOf, toMs } from "./rows.js";

export interface FlowRunRow {
  seq: number;
  id: string;
  flow_id: string;
  flow_name: string;
  flow_version: number;
  name: string | null;
  parameters: string;
  labels: string;
  state: StateName;
  state_json: string;
  version: number;
  scheduled_start: number;
  created_at: number;
  updated_at: number;
  progress_at: number;
  started_at: number | null;
  ended_at: number | null;
  agent_id: string | null;
  heartbeat_at: number | null;
  cancel_requested_at: number | null;
  resurrections: number;
  schedule_id: string | null;
  schedule_slot: number | null;
  idempotency_key: string | null;
}

export function flowRunFromRow(row: FlowRunRow): FlowRun {
  return {
    id: row.id,
    flowId: row.flow_id,
    flowName: row.flow_name,
    flowVersion: Number(row.flow_version),
    name: row.name,
    parameters: parseJson(row.parameters),
    labels: parseJson(row.labels),
    state: stateOf(row.state_json) as FlowRun["state"],
    version: Number(row.version),
    scheduledStart: iso(row.scheduled_start),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    startedAt: isoOrNull(row.started_at),
    endedAt: isoOrNull(row.ended_at),
    agentId: row.agent_id,
    heartbeatAt: isoOrNull(row.heartbeat_at),
    cancelRequested: row.cancel_requested_at !== null,
    resurrections: Number(row.resurrections),
    scheduleId: row.schedule_id,
    idempotencyKey: row.idempotency_key,
  };
}

/** Row changes that go with a state change (server actions: claim, reschedule). */
export interface FlowRunPatch {
  agent_id?: string | null;
  resurrections?: number;
  cancel_requested_at?: number | null;
  scheduled_start?: number;
}

/**
 * Writes `state` on `row` if its version is unchanged; answers the new row, or undefined when another
 * writer got there first (re-read and decide again).
 */
export async function writeFlowRunState(
  tx: SqlExecutor,
  row: FlowRunRow,
  state: State,
  now: number,
  patch: FlowRunPatch = {},
): Promise<FlowRunRow | undefined> {
  const rescheduled = state.name === "Scheduled" || state.name === "Pending";
  const next: FlowRunRow = {
    ...row,
    state: state.name,
    state_json: JSON.stringify(state),
    version: row.version + 1,
    updated_at: now,
    progress_at: now,
    started_at: state.name === "Running" ? (row.started_at ?? now) : rescheduled ? null : row.started_at,
    ended_at: isFinished(state.name) ? now : null,
    heartbeat_at: state.name === "Running" ? now : rescheduled ? null : row.heartbeat_at,
    scheduled_start: patch.scheduled_start ?? (state.name === "Scheduled" && state.scheduledAt ? toMs(state.scheduledAt) : row.scheduled_start),
    agent_id: patch.agent_id === undefined ? row.agent_id : patch.agent_id,
    resurrections: patch.resurrections ?? row.resurrections,
    cancel_requested_at: patch.cancel_requested_at === undefined ? row.cancel_requested_at : patch.cancel_requested_at,
  };
  const { changes } = await tx.run(
    `UPDATE flow_runs SET state = ?, state_json = ?, version = ?, updated_at = ?, progress_at = ?, started_at = ?, ended_at = ?,
       heartbeat_at = ?, scheduled_start = ?, agent_id = ?, resurrections = ?, cancel_requested_at = ?
     WHERE id = ? AND version = ?`,
    [
      next.state,
      next.state_json,
      next.version,
      next.updated_at,
      next.progress_at,
      next.started_at,
      next.ended_at,
      next.heartbeat_at,
      next.scheduled_start,
      next.agent_id,
      next.resurrections,
      next.cancel_requested_at,
      row.id,
      row.version,
    ],
  );
  if (changes === 0) return undefined;
  await tx.run("INSERT INTO flow_run_states (flow_run_id, name, timestamp, state_json) VALUES (?, ?, ?, ?)", [
    row.id,
    state.name,
    toMs(state.timestamp),
    next.state_json,
  ]);
  return next;
}
