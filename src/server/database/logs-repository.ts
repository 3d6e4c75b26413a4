/**
 * Run logs: a batch is inserted in one transaction (PostgreSQL: one multi-row statement; SQLite: one
 * prepared statement repeated, which is as fast there). Readers follow with a cursor (the row's seq). On
 * PostgreSQL, writers of one flow run are serialized by an advisory lock, so a run's seqs become
 * visible in order and a follower never skips a line committed late with a lower seq.
 */
import { SluiceError } from "../../core/errors.js";
import type { ApiLogLevel, LogRecordOut } from "../api/logs.js";
import type { SqlDriver, SqlParam } from "./driver.js";
import { iso, notFound, parseJsonOrNull, toMs } from "./rows.js";

/** pino's numeric levels: the stored form, so "at least warn" is one comparison. */
export const LEVEL_NUMBERS: Record<ApiLogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const LEVEL_NAMES = new Map(Object.entries(LEVEL_NUMBERS).map(([name, n]) => [n, name as ApiLogLevel]));

export interface LogWrite {
  flowRunId: string;
  taskRunId?: string | undefined;
  level: ApiLogLevel;
  message: string;
  timestamp?: string | undefined;
  fields?: Record<string, unknown> | undefined;
}

interface LogRow {
  seq: number;
  flow_run_id: string;
  task_run_id: string | null;
  level: number;
  message: string;
  timestamp: number;
  fields: string | null;
}

export class LogsRepository {
  constructor(private readonly db: SqlDriver) {}

  async write(logs: readonly LogWrite[], now = Date.now()): Promise<number> {
    if (logs.length === 0) return 0;
    const runIds = [...new Set(logs.map((l) => l.flowRunId))].sort();
    const known = new Set(
      (await this.db.all<{ id: string }>(`SELECT id FROM flow_runs WHERE ${this.db.sql.inList("id")}`, [this.db.sql.listParam(runIds)])).map((r) => r.id),
    );
    const unknown = logs.findIndex((l) => !known.has(l.flowRunId));
    if (unknown >= 0) {
      const id = logs[unknown]!.flowRunId;
      throw new SluiceError("NOT_FOUND", `flow run ${JSON.stringify(id)} of logs[${unknown}] does not exist`, { field: `logs.${unknown}.flowRunId`, value: id });
    }
    const columns = {
      flowRunIds: logs.map((l) => l.flowRunId),
      taskRunIds: logs.map((l) => l.taskRunId ?? null),
      levels: logs.map((l) => LEVEL_NUMBERS[l.level]),
      messages: logs.map((l) => l.message),
      timestamps: logs.map((l) => (l.timestamp === undefined ? now : toMs(l.timestamp))),
      fields: logs.map((l) => (l.fields === undefined ? null : JSON.stringify(l.fields))),
    };
    await this.db.transaction(async (tx) => {
      if (this.db.dialect === "postgres") {
        for (const id of runIds) await this.db.lockKey(tx, `logs:${id}`);
        await tx.run(
          `INSERT INTO logs (flow_run_id, task_run_id, level, message, timestamp, fields)
           SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::bigint[], ?::text[])`,
          [columns.flowRunIds, columns.taskRunIds, columns.levels, columns.messages, columns.timestamps, columns.fields],
        );
        return;
      }
      for (let i = 0; i < logs.length; i++) {
        await tx.run("INSERT INTO logs (flow_run_id, task_run_id, level, message, timestamp, fields) VALUES (?, ?, ?, ?, ?, ?)", [
          columns.flowRunIds[i],
          columns.taskRunIds[i],
          columns.levels[i],
          columns.messages[i],
          columns.timestamps[i],
          columns.fields[i],
        ]);
      }
    });
    return logs.length;
  }

  /** Lines of a flow run after a cursor, oldest first; `nextCursor` is where the next read starts. */
  async read(
    flowRunId: string,
    options: { after?: string | undefined; level?: ApiLogLevel | undefined; taskRunId?: string | undefined; limit: number },
  ): Promise<{ items: LogRecordOut[]; nextCursor: string }> {
    if (!(await this.db.get("SELECT id FROM flow_runs WHERE id = ?", [flowRunId]))) throw notFound("flow run", flowRunId);
    const after = options.after === undefined ? 0 : Number(options.after);
    const where = ["flow_run_id = ?", "seq > ?"];
    const params: SqlParam[] = [flowRunId, after];
    if (options.level !== undefined) {
      where.push("level >= ?");
      params.push(LEVEL_NUMBERS[options.level]);
    }
    if (options.taskRunId !== undefined) {
      where.push("task_run_id = ?");
      params.push(options.taskRunId);
    }
    params.push(options.limit);
    const rows = await this.db.all<LogRow>(`SELECT * FROM logs WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`, params);
    const items = rows.map(
      (r): LogRecordOut => ({
        id: String(r.seq),
        flowRunId: r.flow_run_id,
        taskRunId: r.task_run_id,
        level: LEVEL_NAMES.get(Number(r.level)) ?? "info",
        message: r.message,
        timestamp: iso(r.timestamp),
        fields: parseJsonOrNull(r.fields),
      }),
    );
    const last = rows[rows.length - 1];
    return { items, nextCursor: String(last ? last.seq : after) };
  }
}
