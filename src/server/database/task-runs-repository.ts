/**
 * Task runs: upserts keyed by (flow run, task key, map index), applied many at once in one transaction,
 * each with the transition rules and an optional version check.
 */
import { randomUUID } from "node:crypto";
import { SluiceError } from "../../core/errors.js";
import { isFinished, makeState, type State, type StateName } from "../../core/states.js";
import type { TaskRun, TaskRunResult } from "../api/task-runs.js";
import { decideTaskRunTransition } from "../domain/transitions.js";
import type { SqlDriver, SqlExecutor, SqlParam } from "./driver.js";
import { cursorSeq, iso, isoOrNull, notFound, pageFrom, stateOf, toMs } from "./rows.js";

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

const keyOf = (taskKey: string, mapIndex: number): string => `${mapIndex}\u0000${taskKey}`;

type Outcome = { ok: true; row: TaskRunRow } | { ok: false; code: "CONFLICT"; message: string };

export class TaskRunsRepository {
  constructor(private readonly db: SqlDriver) {}

  /**
   * Applies updates in order, in one transaction; each answers its own outcome (a refused one does not
   * undo the others). Unknown flow run: NOT_FOUND for the whole batch.
   */
  async apply(flowRunId: string, updates: readonly TaskRunUpdate[], now = Date.now()): Promise<{ results: TaskRunResult[]; rows: (TaskRunRow | undefined)[] }> {
    return this.db.transaction(async (tx) => {
      const run = await tx.get<{ id: string }>("SELECT id FROM flow_runs WHERE id = ?", [flowRunId]);
      if (!run) throw notFound("flow run", flowRunId);
      const pairs = updates.map((u) => [u.taskKey, u.mapIndex] as const);
      const existing = await tx.all<TaskRunRow>(`SELECT * FROM task_runs WHERE flow_run_id = ? AND ${this.db.sql.pairIn("task_key", "map_index")}`, [
        flowRunId,
        ...this.db.sql.pairParams(pairs),
      ]);
      const byKey = new Map(existing.map((r) => [keyOf(r.task_key, Number(r.map_index)), r]));
      const results: TaskRunResult[] = [];
      const rows: (TaskRunRow | undefined)[] = [];
      for (const update of updates) {
        const key = keyOf(update.taskKey, update.mapIndex);
        const outcome = await this.applyOne(tx, flowRunId, byKey.get(key), update, now);
        if (outcome.ok) {
          byKey.set(key, outcome.row);
          rows.push(outcome.row);
          results.push({ taskKey: update.taskKey, mapIndex: update.mapIndex, ok: true, id: outcome.row.id, state: outcome.row.state, version: Number(outcome.row.version) });
        } else {
          rows.push(undefined);
          results.push({ taskKey: update.taskKey, mapIndex: update.mapIndex, ok: false, error: { code: outcome.code, message: outcome.message } });
        }
      }
      await tx.run("UPDATE flow_runs SET progress_at = ? WHERE id = ?", [now, flowRunId]);
      return { results, rows };
    });
  }

  private async applyOne(tx: SqlExecutor, flowRunId: string, row: TaskRunRow | undefined, update: TaskRunUpdate, now: number): Promise<Outcome> {
    const label = `task run ${update.taskKey}[${update.mapIndex}]`;
    const timestamp = update.state?.timestamp === undefined ? iso(now) : new Date(update.state.timestamp).toISOString();
    if (!row) {
      if (update.expectedVersion !== undefined && update.expectedVersion !== 0)
        return { ok: false, code: "CONFLICT", message: `${label} does not exist yet, so it is not at version ${update.expectedVersion}` };
      const state: State = update.state ? { ...update.state, timestamp } : makeState("Pending", { timestamp });
      const created: TaskRunRow = {
        seq: 0,
        id: randomUUID(),
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
      const inserted = await tx.all<{ id: string }>(
        `INSERT INTO task_runs (id, flow_run_id, task_key, task_name, map_index, state, state_json, version, attempts, created_at, updated_at, started_at, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
        [created.id, flowRunId, created.task_key, created.task_name, created.map_index, created.state, created.state_json, 1, created.attempts, now, now, created.started_at, created.ended_at],
      );
      if (inserted.length === 0) return { ok: false, code: "CONFLICT", message: `${label} was created concurrently by another request: send the update again` };
      await this.history(tx, created.id, state);
      return { ok: true, row: created };
    }
    if (!update.state) return { ok: true, row };
    const current = stateOf(row.state_json);
    if (current.name === update.state.name && current.timestamp === timestamp && update.state.timestamp !== undefined) return { ok: true, row };
    if (update.expectedVersion !== undefined && update.expectedVersion !== Number(row.version))
      return { ok: false, code: "CONFLICT", message: `${label} is at version ${row.version} (${row.state}), not the expected ${update.expectedVersion}` };
    const decision = decideTaskRunTransition(row.state, update.state.name);
    if (decision.kind === "noop") return { ok: true, row };
    if (decision.kind === "reject") return { ok: false, code: "CONFLICT", message: `${label}: ${decision.reason}` };
    const state: State = { ...update.state, timestamp };
    const enteringRun = state.name === "Running" && row.state !== "Running";
    const next: TaskRunRow = {
      ...row,
      task_name: row.task_name === row.task_key && update.taskName ? update.taskName : row.task_name,
      state: state.name,
      state_json: JSON.stringify(state),
      version: Number(row.version) + 1,
      attempts: Math.max(Number(row.attempts), state.attempt ?? (enteringRun ? Number(row.attempts) + 1 : 0)),
      updated_at: now,
      started_at: row.started_at ?? (state.name === "Running" ? now : null),
      ended_at: isFinished(state.name) ? now : null,
    };
    const { changes } = await tx.run(
      `UPDATE task_runs SET task_name = ?, state = ?, state_json = ?, version = ?, attempts = ?, updated_at = ?, started_at = ?, ended_at = ?
       WHERE id = ? AND version = ?`,
      [next.task_name, next.state, next.state_json, next.version, next.attempts, now, next.started_at, next.ended_at, row.id, row.version],
    );
    if (changes === 0) return { ok: false, code: "CONFLICT", message: `${label} changed concurrently: read it again and send the update anew` };
    await this.history(tx, row.id, state);
    return { ok: true, row: next };
  }

  private async history(tx: SqlExecutor, taskRunId: string, state: State): Promise<void> {
    await tx.run("INSERT INTO task_run_states (task_run_id, name, timestamp, state_json) VALUES (?, ?, ?, ?)", [taskRunId, state.name, toMs(state.timestamp), JSON.stringify(state)]);
  }

  /** One update; a refusal is a CONFLICT error. */
  async applySingle(flowRunId: string, update: TaskRunUpdate, now = Date.now()): Promise<TaskRun> {
    const { results, rows } = await this.apply(flowRunId, [update], now);
    const result = results[0]!;
    const row = rows[0];
    if (!result.ok || !row)
      throw new SluiceError("CONFLICT", result.error?.message ?? "the task run update was refused", { field: "state.name", flowRunId, value: update.state?.name });
    return taskRunFromRow(row);
  }

  async get(id: string): Promise<TaskRun | undefined> {
    const row = await this.db.get<TaskRunRow>("SELECT * FROM task_runs WHERE id = ?", [id]);
    return row && taskRunFromRow(row);
  }

  /** In creation order. */
  async list(
    flowRunId: string,
    filter: { state?: StateName[] | undefined; taskKey?: string | undefined; limit: number; cursor?: string | undefined },
  ): Promise<{ items: TaskRun[]; nextCursor?: string }> {
    if (!(await this.db.get("SELECT id FROM flow_runs WHERE id = ?", [flowRunId]))) throw notFound("flow run", flowRunId);
    const where = ["flow_run_id = ?", "seq > ?"];
    const params: SqlParam[] = [flowRunId, cursorSeq(filter.cursor) ?? 0];
    if (filter.state?.length) {
      where.push(this.db.sql.inList("state"));
      params.push(this.db.sql.listParam(filter.state));
    }
    if (filter.taskKey !== undefined) {
      where.push("task_key = ?");
      params.push(filter.taskKey);
    }
    params.push(filter.limit + 1);
    const rows = await this.db.all<TaskRunRow>(`SELECT * FROM task_runs WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`, params);
    return pageFrom(rows, filter.limit, taskRunFromRow);
  }

  async states(id: string): Promise<State[]> {
    if (!(await this.db.get("SELECT id FROM task_runs WHERE id = ?", [id]))) throw notFound("task run", id);
    const rows = await this.db.all<{ state_json: string }>("SELECT state_json FROM task_run_states WHERE task_run_id = ? ORDER BY seq", [id]);
    return rows.map((r) => stateOf(r.state_json));
  }

  /** Ends the unfinished task runs of a flow run whose process is gone (Failed, or Cancelled); answers how many. */
  async endUnfinished(flowRunId: string, name: "Failed" | "Cancelled", message: string, now = Date.now()): Promise<number> {
    const open = await this.db.all<TaskRunRow>("SELECT * FROM task_runs WHERE flow_run_id = ? AND state IN ('Pending', 'Scheduled', 'Submitted', 'Running', 'Retrying')", [flowRunId]);
    if (open.length === 0) return 0;
    const updates = open.map((r) => ({ taskKey: r.task_key, mapIndex: Number(r.map_index), expectedVersion: Number(r.version), state: { name, message } }));
    const { results } = await this.apply(flowRunId, updates, now);
    return results.filter((r) => r.ok).length;
  }
}
