/** The task_runs row, an upsert as the repository takes it, and the row's API form. */
import type { State, StateName } from "../../core/states.js";
import type { TaskRun } from "../../api/task-runs.js";
import { iso, isoOrNull, stateOf } from "./rows.js";

export interface TaskRunRow {
  seq: number;
  id: string;
  flow_run_id: string;
  task_key: string;
  task_name: string;
  map_index: number;
  state: StateName;
  state_json: string;
  version: number;
  attempts: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
}

export interface TaskRunUpdate {
  taskKey: string;
  mapIndex: number;
  taskName?: string | undefined;
  state?: (Omit<State, "timestamp"> & { timestamp?: string | undefined }) | undefined;
  expectedVersion?: number | undefined;
}

export function taskRunFromRow(row: TaskRunRow): TaskRun {
  return {
    id: row.id,
    flowRunId: row.flow_run_id,
    taskKey: row.task_key,
    taskName: row.task_name,
    mapIndex: Number(row.map_index),
    state: stateOf(row.state_json) as TaskRun["state"],
    version: Number(row.version),
    attempts: Number(row.attempts),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    startedAt: isoOrNull(row.started_at),
    endedAt: isoOrNull(row.ended_at),
  };
}
