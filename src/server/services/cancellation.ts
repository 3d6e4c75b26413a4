/**
 * Cancellation: a cancel request reaches a running run through its heartbeat (within one heartbeat
 * interval) and the runner ends it Cancelled. A run that has not finished `graceMs` after the request
 * (its runner is gone, or ignores it) is marked Cancelled here, with its unfinished task runs.
 */
import { SluiceError } from "../../core/errors.js";
import type { SluiceDatabase } from "../database/index.js";
import { IntervalService, TICK_BATCH, showDuration, type ServiceLogger } from "./service.js";

export interface CancellationOptions {
  graceMs: number;
  intervalMs: number;
}

export class Cancellation extends IntervalService<{ cancelled: string[] }> {
  constructor(
    private readonly db: SluiceDatabase,
    private readonly options: CancellationOptions,
    log: ServiceLogger,
  ) {
    super("cancellation", options.intervalMs, log);
  }

  async tick(now = Date.now()): Promise<{ cancelled: string[] }> {
    const cancelled: string[] = [];
    for (const row of await this.db.maintenance.cancelOverdue(now - this.options.graceMs, TICK_BATCH)) {
      const message = `Cancelled by the server: the run was still ${row.state} ${showDuration(now - row.cancel_requested_at!)} after the cancel request (grace ${showDuration(this.options.graceMs)})`;
      try {
        await this.db.flowRuns.setState(row.id, { name: "Cancelled", message }, { expectedVersion: row.version, force: true, now });
      } catch (error) {
        if (error instanceof SluiceError && error.code === "CONFLICT") continue;
        throw error;
      }
      await this.db.taskRuns.endUnfinished(row.id, "Cancelled", message, now);
      this.log.info({ flowRunId: row.id, service: this.name }, message);
      cancelled.push(row.id);
    }
    return { cancelled };
  }
}
