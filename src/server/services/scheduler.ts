/**
 * The scheduler: for each active schedule, creates the runs of its slots up to `lookaheadMs` ahead.
 * A run is created at most once per (schedule, slot): a unique key in the database makes a second
 * creation (a concurrent tick, another server) a no-op. Slots missed while no server ran are not
 * back-filled beyond one service interval: a server down for a day does not start a day of runs at once.
 */
import type { Flow } from "../api/flows.js";
import type { SluiceDatabase } from "../database/index.js";
import { definitionOf } from "../database/schedules-repository.js";
import { slotsBetween } from "../domain/schedule-slots.js";
import { IntervalService, type ServiceLogger } from "./service.js";

/** Slots handled per schedule and tick (the next tick continues). */
export const SLOTS_PER_TICK = 100;

export interface SchedulerOptions {
  lookaheadMs: number;
  intervalMs: number;
}

export class Scheduler extends IntervalService<{ created: string[] }> {
  constructor(
    private readonly db: SluiceDatabase,
    private readonly options: SchedulerOptions,
    log: ServiceLogger,
  ) {
    super("scheduler", options.intervalMs, log);
  }

  async tick(now = Date.now()): Promise<{ created: string[] }> {
    const created: string[] = [];
    const flows = new Map<string, Flow | undefined>();
    for (const row of await this.db.schedules.active()) {
      const def = definitionOf(row);
      if (!flows.has(def.flowId)) flows.set(def.flowId, await this.db.flows.get(def.flowId));
      const flow = flows.get(def.flowId);
      if (!flow) continue;
      const after = Math.max(row.last_slot ?? row.created_at, now - this.options.intervalMs);
      const slots = slotsBetween(def, after, now + this.options.lookaheadMs, SLOTS_PER_TICK);
      for (const slot of slots) {
        const { run, created: isNew } = await this.db.flowRuns.create(
          {
            flow,
            parameters: { ...flow.parameterDefaults, ...def.parameters },
            labels: def.labels ?? flow.labels,
            scheduledStart: slot,
            scheduleId: row.id,
            scheduleSlot: slot,
            message: `Scheduled by schedule ${def.name ?? row.id}`,
          },
          now,
        );
        if (isNew) created.push(run.id);
      }
      const last = slots[slots.length - 1];
      if (last !== undefined) await this.db.schedules.advance(row.id, last);
    }
    if (created.length > 0) this.log.info({ service: this.name, count: created.length }, `created ${created.length} scheduled flow runs`);
    return { created };
  }
}
