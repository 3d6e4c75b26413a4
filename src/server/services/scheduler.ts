/**
 * The scheduler: for each active schedule, creates the runs of its slots up to `lookaheadMs` ahead.
 * A run is created at most once per (schedule, slot): a unique key in the database makes a second
 * creation (a concurrent tick, another server) a no-op.
 *
 * Back-fill: slots missed while no server ran are not back-filled beyond one service interval, so a server
 * down for a day does not start a day of runs at once. Slots that fell between two ticks of this scheduler
 * (a late tick on a busy machine, a tick skipped because the previous one ran long) were not missed by an
 * outage: they are always created, however small the lookahead.
 */
import type { Flow } from "../../api/flows.js";
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
  /** The instant of this scheduler's last completed tick: slots after it were seen by a running server. */
  private lastTickAt: number | undefined;

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
    const catchUpFrom = Math.min(now - this.options.intervalMs, this.lastTickAt ?? Number.POSITIVE_INFINITY);
    for (const row of await this.db.schedules.active()) {
      const def = definitionOf(row);
      if (!flows.has(def.flowId)) flows.set(def.flowId, await this.db.flows.get(def.flowId));
      const flow = flows.get(def.flowId);
      if (!flow) continue;
      const after = Math.max(row.last_slot ?? row.created_at, catchUpFrom);
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
    this.lastTickAt = Math.max(this.lastTickAt ?? now, now);
    if (created.length > 0) this.log.info({ service: this.name, count: created.length }, `created ${created.length} scheduled flow runs`);
    return { created };
  }
}
