/** Schedules and the bookkeeping of the scheduler (the latest slot a run was created for). */
import { randomUUID } from "node:crypto";
import type { Schedule } from "../../api/schedules.js";
import type { SqlDriver, SqlParam } from "./driver.js";
import { cursorSeq, iso, isoOrNull, pageFrom, parseJson, parseJsonOrNull } from "./rows.js";

export interface ScheduleRow {
  seq: number;
  id: string;
  flow_id: string;
  name: string | null;
  cron: string | null;
  timezone: string | null;
  interval_ms: number | null;
  anchor: number;
  parameters: string;
  labels: string | null;
  active: number;
  last_slot: number | null;
  created_at: number;
  updated_at: number;
}

/** A schedule's definition as the repository writes it (validated by the caller). */
export interface ScheduleDefinition {
  flowId: string;
  name: string | null;
  cron: string | null;
  timezone: string | null;
  intervalMs: number | null;
  anchor: number;
  parameters: Record<string, unknown>;
  labels: string[] | null;
  active: boolean;
}

export const scheduleFromRow = (row: ScheduleRow): Schedule => ({
  id: row.id,
  flowId: row.flow_id,
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  intervalMs: row.interval_ms === null ? null : Number(row.interval_ms),
  anchor: iso(row.anchor),
  parameters: parseJson(row.parameters),
  labels: parseJsonOrNull(row.labels),
  active: Number(row.active) === 1,
  lastSlot: isoOrNull(row.last_slot),
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

export const definitionOf = (row: ScheduleRow): ScheduleDefinition => ({
  flowId: row.flow_id,
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  intervalMs: row.interval_ms === null ? null : Number(row.interval_ms),
  anchor: Number(row.anchor),
  parameters: parseJson(row.parameters),
  labels: parseJsonOrNull(row.labels),
  active: Number(row.active) === 1,
});

/**
 * A definition's columns in the order both the insert and the update name them: name, cron, timezone,
 * interval_ms, anchor, parameters, labels, active.
 */
const definitionValues = (def: ScheduleDefinition): SqlParam[] => [
  def.name,
  def.cron,
  def.timezone,
  def.intervalMs,
  def.anchor,
  JSON.stringify(def.parameters),
  def.labels && JSON.stringify(def.labels),
  def.active,
];

export class SchedulesRepository {
  constructor(private readonly db: SqlDriver) {}

  async create(def: ScheduleDefinition, now = Date.now()): Promise<Schedule> {
    const id = randomUUID();
    await this.db.run(
      `INSERT INTO schedules (id, flow_id, name, cron, timezone, interval_ms, anchor, parameters, labels, active, last_slot, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
      [id, def.flowId, ...definitionValues(def), now, now],
    );
    return (await this.get(id))!;
  }

  async row(id: string): Promise<ScheduleRow | undefined> {
    return this.db.get<ScheduleRow>("SELECT * FROM schedules WHERE id = ?", [id]);
  }

  async get(id: string): Promise<Schedule | undefined> {
    const row = await this.row(id);
    return row && scheduleFromRow(row);
  }

  /**
   * Replaces a schedule's definition and removes its runs for slots after `now` that no agent claimed
   * yet; the scheduler then creates the future slots from the new definition.
   */
  async update(id: string, def: ScheduleDefinition, now = Date.now()): Promise<Schedule | undefined> {
    const changed = await this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        `UPDATE schedules SET name = ?, cron = ?, timezone = ?, interval_ms = ?, anchor = ?, parameters = ?, labels = ?, active = ?, last_slot = ?, updated_at = ?
         WHERE id = ?`,
        [...definitionValues(def), now, now, id],
      );
      if (changes > 0) await this.deleteFutureRuns(tx, id, now);
      return changes > 0;
    });
    return changed ? this.get(id) : undefined;
  }

  /** True when the schedule existed; its unclaimed future runs go with it. */
  async delete(id: string, now = Date.now()): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await this.deleteFutureRuns(tx, id, now);
      return (await tx.run("DELETE FROM schedules WHERE id = ?", [id])).changes > 0;
    });
  }

  private async deleteFutureRuns(tx: Pick<SqlDriver, "run">, id: string, now: number): Promise<void> {
    await tx.run("DELETE FROM flow_runs WHERE schedule_id = ? AND state = 'Scheduled' AND scheduled_start > ?", [id, now]);
  }

  async list(filter: { flowId?: string | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: Schedule[]; nextCursor?: string }> {
    const after = cursorSeq(filter.cursor) ?? 0;
    const rows =
      filter.flowId === undefined
        ? await this.db.all<ScheduleRow>("SELECT * FROM schedules WHERE seq > ? ORDER BY seq LIMIT ?", [after, filter.limit + 1])
        : await this.db.all<ScheduleRow>("SELECT * FROM schedules WHERE flow_id = ? AND seq > ? ORDER BY seq LIMIT ?", [
            filter.flowId,
            after,
            filter.limit + 1,
          ]);
    return pageFrom(rows, filter.limit, scheduleFromRow);
  }

  async active(): Promise<ScheduleRow[]> {
    return this.db.all<ScheduleRow>("SELECT * FROM schedules WHERE active = 1 ORDER BY seq");
  }

  /** Moves the schedule's cursor forward (never back). */
  async advance(id: string, lastSlot: number): Promise<void> {
    await this.db.run("UPDATE schedules SET last_slot = ? WHERE id = ? AND (last_slot IS NULL OR last_slot < ?)", [lastSlot, id, lastSlot]);
  }
}
