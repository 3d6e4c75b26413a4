/**
 * Run logs: a batch is one INSERT of all its lines (a bound table, see `DialectSql.table`), in the order
 * given. Readers follow with a cursor (the row's seq). On PostgreSQL, writers of one flow run are
 * serialized by an advisory lock, so a run's seqs become visible in order and a follower never skips a
 * line committed late with a lower seq.
 */
import { SluiceError } from "../../core/errors.js";
import type { ApiLogLevel, LogRecordOut } from "../../api/logs.js";
import type { SqlDriver, SqlParam, TableColumn } from "./driver.js";
import { iso, notFound, parseJsonOrNull, toMs } from "./rows.js";

/** pino's numeric levels: the stored form, so "at least warn" is one comparison. */
export const LEVEL_NUMBERS: Record<ApiLogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const LEVEL_NAMES = new Map(Object.entries(LEVEL_NUMBERS).map(([name, n]) => [n, name as ApiLogLevel]));

const LOG_ROWS: readonly TableColumn[] = [
  ["flow_run_id", "text"],
  ["task_run_id", "text"],
  ["level", "int"],
  ["message", "text"],
  ["timestamp", "bigint"],
  ["fields", "text"],
];
const LOGS_INTO = "logs (flow_run_id, task_run_id, level, message, timestamp, fields)";

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
      throw new SluiceError(
        "NOT_FOUND",
        `flow run ${JSON.stringify(id)} of logs[${unknown}] does not exist: send lines of existing runs only (GET /api/flow-runs lists them)`,
        {
          field: `logs.${unknown}.flowRunId`,
          value: id,
        },
      );
    }
    const rows = logs.map((l) => [
      l.flowRunId,
      l.taskRunId ?? null,
      LEVEL_NUMBERS[l.level],
      l.message,
      l.timestamp === undefined ? now : toMs(l.timestamp),
      l.fields === undefined ? null : JSON.stringify(l.fields),
    ]);
    await this.db.transaction(async (tx) => {
      for (const id of runIds) await this.db.lockKey(tx, `logs:${id}`);
      for (const statement of this.db.sql.insertRows(LOGS_INTO, LOG_ROWS, rows)) await tx.run(statement.sql, statement.params);
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
    const items = rows.map((r): LogRecordOut => ({
      id: String(r.seq),
      flowRunId: r.flow_run_id,
      taskRunId: r.task_run_id,
      level: LEVEL_NAMES.get(Number(r.level)) ?? "info",
      message: r.message,
      timestamp: iso(r.timestamp),
      fields: parseJsonOrNull(r.fields),
    }));
    const last = rows[rows.length - 1];
    return { items, nextCursor: String(last ? last.seq : after) };
  }
}
