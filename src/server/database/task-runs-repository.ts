/**
 * Task runs: upserts keyed by (flow run, task key, map index), applied many at once in one transaction,
 * each with the transition rules and an optional version check. A batch costs a few statements whatever
 * its size, never one per row: lock the flow run, read the batch's rows, decide every update in memory
 * (task-run-plan.ts), then insert the new task runs, update the changed ones (each checked against the
 * version read) and insert their history, each a multi-row statement (the driver's `insertRows` and
 * `withRows`: one statement on PostgreSQL, one per chunk of up to 256 rows on SQLite).
 */
import { SluiceError } from "../../core/errors.js";
import type { State, StateName } from "../../core/states.js";
import type { TaskRun, TaskRunResult } from "../../api/task-runs.js";
import type { SqlDriver, SqlExecutor, SqlParam, TableColumn } from "./driver.js";
import { cursorSeq, notFound, pageFrom, stateOf, toMs } from "./rows.js";
import { planTaskRunUpdates, type TaskRunPlan } from "./task-run-plan.js";
import { taskRunFromRow, type TaskRunRow, type TaskRunUpdate } from "./task-run-rows.js";

/** Final flow-run states that fail the task runs still open (Cancelled cancels them). */
const ENDS_TASK_RUNS_FAILED: ReadonlySet<StateName> = new Set<StateName>(["Failed", "TriggerFailed", "TimedOut"]);

const NEW_ROWS: readonly TableColumn[] = [
  ["id", "text"],
  ["flow_run_id", "text"],
  ["task_key", "text"],
  ["task_name", "text"],
  ["map_index", "int"],
  ["state", "text"],
  ["state_json", "text"],
  ["version", "int"],
  ["attempts", "int"],
  ["created_at", "bigint"],
  ["updated_at", "bigint"],
  ["started_at", "bigint"],
  ["ended_at", "bigint"],
];
// `ref` and `expected`, not `id` and `version`: the target's own columns stay unambiguous.
const CHANGED_ROWS: readonly TableColumn[] = [
  ["ref", "text"],
  ["expected", "int"],
  ["task_name", "text"],
  ["state", "text"],
  ["state_json", "text"],
  ["version", "int"],
  ["attempts", "int"],
  ["updated_at", "bigint"],
  ["started_at", "bigint"],
  ["ended_at", "bigint"],
];
const HISTORY_ROWS: readonly TableColumn[] = [
  ["task_run_id", "text"],
  ["name", "text"],
  ["at", "bigint"],
  ["state_json", "text"],
];

const NEW_INTO = `task_runs (${NEW_ROWS.map(([name]) => name).join(", ")})`;
const HISTORY_INTO = "task_run_states (task_run_id, name, timestamp, state_json)";
const UPDATE_FROM = (from: string): string =>
  `UPDATE task_runs SET task_name = r.task_name, state = r.state, state_json = r.state_json, version = r.version, attempts = r.attempts,
     updated_at = r.updated_at, started_at = r.started_at, ended_at = r.ended_at
   FROM ${from} WHERE task_runs.id = r.ref AND task_runs.version = r.expected RETURNING task_runs.id`;

export class TaskRunsRepository {
  constructor(private readonly db: SqlDriver) {}

  /**
   * Applies updates in order, in one transaction; each answers its own outcome (a refused one does not
   * undo the others). Unknown flow run: NOT_FOUND for the whole batch.
   */
  async apply(flowRunId: string, updates: readonly TaskRunUpdate[], now = Date.now()): Promise<{ results: TaskRunResult[]; rows: (TaskRunRow | undefined)[] }> {
    return this.db.transaction(async (tx) => {
      // Locking the flow run serializes the task-run writes of one run (they all end by updating its
      // progress anyway): concurrent batches wait for each other instead of racing or deadlocking.
      const run = await tx.get<{ id: string }>(`SELECT id FROM flow_runs WHERE id = ?${this.db.sql.lockRows}`, [flowRunId]);
      if (!run) throw notFound("flow run", flowRunId);
      const pairs = updates.map((u) => [u.taskKey, u.mapIndex] as const);
      const existing = await tx.all<TaskRunRow>(`SELECT * FROM task_runs WHERE flow_run_id = ? AND ${this.db.sql.pairIn("task_key", "map_index")}`, [
        flowRunId,
        ...this.db.sql.pairParams(pairs),
      ]);
      const plan = planTaskRunUpdates(flowRunId, existing, updates, now);
      const lost = await this.write(tx, plan);
      const results: TaskRunResult[] = [];
      const rows: (TaskRunRow | undefined)[] = [];
      plan.outcomes.forEach((outcome, index) => {
        const { taskKey, mapIndex } = updates[index]!;
        const race = outcome.ok ? lost.get(outcome.key) : undefined;
        if (outcome.ok && (race === undefined || index < race.from)) {
          rows.push(outcome.row);
          results.push({ taskKey, mapIndex, ok: true, id: outcome.row.id, state: outcome.row.state, version: Number(outcome.row.version) });
        } else {
          rows.push(undefined);
          const message = outcome.ok ? `task run ${taskKey}[${mapIndex}] ${race!.message}` : outcome.message;
          results.push({ taskKey, mapIndex, ok: false, error: { code: "CONFLICT", message } });
        }
      });
      await tx.run("UPDATE flow_runs SET progress_at = ? WHERE id = ?", [now, flowRunId]);
      return { results, rows };
    });
  }

  /**
   * Writes a plan: new rows (a key created meanwhile by another request is skipped), changed rows (only
   * where the version is still the one read), then the history of the keys written. Answers the keys
   * whose write lost such a race, with the batch index from which their updates did not happen.
   */
  private async write(tx: SqlExecutor, plan: TaskRunPlan): Promise<Map<string, { from: number; message: string }>> {
    const { sql } = this.db;
    const writes = [...plan.writes];
    const inserts = writes.filter(([, w]) => w.kind === "insert");
    const changes = writes.filter(([, w]) => w.kind === "update");
    const done = new Set<string>();
    if (inserts.length > 0) {
      const values = inserts.map(([, { row: r }]) => [
        r.id,
        r.flow_run_id,
        r.task_key,
        r.task_name,
        r.map_index,
        r.state,
        r.state_json,
        r.version,
        r.attempts,
        r.created_at,
        r.updated_at,
        r.started_at,
        r.ended_at,
      ]);
      for (const statement of sql.insertRows(NEW_INTO, NEW_ROWS, values, "ON CONFLICT DO NOTHING RETURNING id"))
        for (const { id } of await tx.all<{ id: string }>(statement.sql, statement.params)) done.add(id);
    }
    if (changes.length > 0) {
      const values = changes.map(([, { row: r, readVersion }]) => [
        r.id,
        readVersion,
        r.task_name,
        r.state,
        r.state_json,
        r.version,
        r.attempts,
        r.updated_at,
        r.started_at,
        r.ended_at,
      ]);
      for (const statement of sql.withRows(CHANGED_ROWS, values, UPDATE_FROM))
        for (const { id } of await tx.all<{ id: string }>(statement.sql, statement.params)) done.add(id);
    }
    const lost = new Map<string, { from: number; message: string }>();
    for (const [key, write] of writes) {
      if (done.has(write.row.id)) continue;
      const message =
        write.kind === "insert"
          ? "was created concurrently by another request: send the update again"
          : "changed concurrently: read it again and send the update anew";
      lost.set(key, { from: write.firstUpdate, message });
    }
    const history = plan.history.filter((h) => !lost.has(h.key));
    const historyRows = history.map((h) => [h.taskRunId, h.state.name, toMs(h.state.timestamp), JSON.stringify(h.state)]);
    for (const statement of sql.insertRows(HISTORY_INTO, HISTORY_ROWS, historyRows)) await tx.run(statement.sql, statement.params);
    return lost;
  }

  /** One update; a refusal is a CONFLICT error. */
  async applySingle(flowRunId: string, update: TaskRunUpdate, now = Date.now()): Promise<TaskRun> {
    const { results, rows } = await this.apply(flowRunId, [update], now);
    const result = results[0]!;
    const row = rows[0];
    if (!result.ok || !row)
      throw new SluiceError("CONFLICT", result.error?.message ?? "the task run update was refused", {
        field: "state.name",
        flowRunId,
        value: update.state?.name,
      });
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

  /**
   * Ends the unfinished task runs of a flow run that ended without them: a run failed from outside (an
   * agent that saw its Job or container die, a cancel, a deadline) leaves no process to report them.
   * Failed, TriggerFailed and TimedOut end them Failed, Cancelled ends them Cancelled, each with the flow
   * run's state and message as the reason. Other states (Success, Skipped, not finished) change nothing:
   * the flow runner reports every task run before its final state. Answers how many were ended.
   */
  async endWithFlowRun(flowRunId: string, state: Pick<State, "name" | "message">, now = Date.now()): Promise<number> {
    const name = state.name === "Cancelled" ? "Cancelled" : ENDS_TASK_RUNS_FAILED.has(state.name) ? "Failed" : undefined;
    if (name === undefined) return 0;
    return this.endUnfinished(flowRunId, name, `Its flow run ended ${state.name}${state.message ? `: ${state.message}` : ""}`, now);
  }

  /** Ends the unfinished task runs of a flow run whose process is gone (Failed, or Cancelled); answers how many. */
  async endUnfinished(flowRunId: string, name: "Failed" | "Cancelled", message: string, now = Date.now()): Promise<number> {
    const open = await this.db.all<TaskRunRow>(
      "SELECT * FROM task_runs WHERE flow_run_id = ? AND state IN ('Pending', 'Scheduled', 'Submitted', 'Running', 'Retrying')",
      [flowRunId],
    );
    if (open.length === 0) return 0;
    const updates = open.map((r) => ({ taskKey: r.task_key, mapIndex: Number(r.map_index), expectedVersion: Number(r.version), state: { name, message } }));
    const { results } = await this.apply(flowRunId, updates, now);
    return results.filter((r) => r.ok).length;
  }
}
