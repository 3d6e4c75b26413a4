/**
 * Resurrection: a run stuck in Submitted (its process never started) or Running without progress and
 * without a running task for `resurrectionAfterMs` is put back to Scheduled, so an agent deploys it
 * again — at most `maxAttempts` times, then it is failed with the reason. A stuck run that was asked to
 * cancel is cancelled instead.
 *
 * Start-up grace, as for the zombie killer: no progress could be reported while no server ran, so the idle
 * time is counted from max(last progress, the moment this server came up).
 */
import { SluiceError } from "../../core/errors.js";
import type { State } from "../../core/states.js";
import type { FlowRunRow, SluiceDatabase } from "../database/index.js";
import { iso } from "../database/rows.js";
import type { RunSignal } from "./run-signal.js";
import { IntervalService, TICK_BATCH, showDuration, staleCutoff, type ServiceLogger } from "./service.js";

export interface ResurrectionOptions {
  /** A run without progress for this long is stuck. */
  afterMs: number;
  /** Reschedules per run before it is failed. */
  maxAttempts: number;
  intervalMs: number;
  /**
   * When this server came up (ms since the epoch): time without progress before it does not count.
   * @default the time the service is constructed
   */
  upSince?: number;
  /** Wakes agents waiting to claim when runs are rescheduled. @default none */
  runSignal?: RunSignal;
}

export interface ResurrectionResult {
  rescheduled: string[];
  failed: string[];
  cancelled: string[];
}

export class Resurrection extends IntervalService<ResurrectionResult> {
  private readonly upSince: number;

  constructor(
    private readonly db: SluiceDatabase,
    private readonly options: ResurrectionOptions,
    log: ServiceLogger,
  ) {
    super("resurrection", options.intervalMs, log);
    this.upSince = options.upSince ?? Date.now();
  }

  async tick(now = Date.now()): Promise<ResurrectionResult> {
    const result: ResurrectionResult = { rescheduled: [], failed: [], cancelled: [] };
    const cutoff = staleCutoff(now, this.options.afterMs, this.upSince);
    if (cutoff === undefined) return result;
    for (const row of await this.db.maintenance.stuck(cutoff, TICK_BATCH)) {
      const idle = `no progress for ${showDuration(now - Math.max(row.progress_at, this.upSince))} in ${row.state}${row.agent_id ? ` (agent ${row.agent_id})` : ""}`;
      const outcome = await this.decide(row, idle, now);
      if (outcome) result[outcome].push(row.id);
    }
    if (result.rescheduled.length > 0) await this.options.runSignal?.runsChanged();
    return result;
  }

  private async decide(row: FlowRunRow, idle: string, now: number): Promise<keyof ResurrectionResult | undefined> {
    let state: Omit<State, "timestamp">;
    let outcome: keyof ResurrectionResult;
    let patch = {};
    if (row.cancel_requested_at !== null) {
      state = { name: "Cancelled", message: `Cancelled: a cancel was requested and the run made ${idle}` };
      outcome = "cancelled";
    } else if (row.resurrections < this.options.maxAttempts) {
      const attempt = row.resurrections + 1;
      state = {
        name: "Scheduled",
        scheduledAt: iso(now),
        message: `Rescheduled by the resurrection service: ${idle} (reschedule ${attempt} of ${this.options.maxAttempts})`,
      };
      patch = { agent_id: null, resurrections: attempt, scheduled_start: now };
      outcome = "rescheduled";
    } else {
      state = { name: "Failed", message: `Failed by the resurrection service: ${idle}, after ${row.resurrections} reschedules (the limit)` };
      outcome = "failed";
    }
    try {
      await this.db.flowRuns.setState(row.id, state, { expectedVersion: row.version, force: true, now, patch });
    } catch (error) {
      if (error instanceof SluiceError && error.code === "CONFLICT") return undefined; // it moved on meanwhile
      throw error;
    }
    if (outcome !== "rescheduled") await this.db.taskRuns.endUnfinished(row.id, state.name === "Cancelled" ? "Cancelled" : "Failed", state.message!, now);
    this.log.warn({ flowRunId: row.id, service: this.name }, state.message!);
    return outcome;
  }
}
