/**
 * The zombie killer: a Running flow run whose heartbeats stopped for longer than `heartbeatTimeoutMs`
 * has lost its process. The run is failed with the reason, and so are its unfinished task runs.
 */
import { SluiceError } from "../../core/errors.js";
import type { SluiceDatabase } from "../database/index.js";
import { iso } from "../database/rows.js";
import { IntervalService, TICK_BATCH, showDuration, type ServiceLogger } from "./service.js";

export interface ZombieKillerOptions {
  /** A Running run whose last heartbeat is older than this is failed. */
  heartbeatTimeoutMs: number;
  /** How often to look. */
  intervalMs: number;
}

export class ZombieKiller extends IntervalService<{ failed: string[] }> {
  constructor(
    private readonly db: SluiceDatabase,
    private readonly options: ZombieKillerOptions,
    log: ServiceLogger,
  ) {
    super("zombie killer", options.intervalMs, log);
  }

  async tick(now = Date.now()): Promise<{ failed: string[] }> {
    const failed: string[] = [];
    for (const row of await this.db.maintenance.zombies(now - this.options.heartbeatTimeoutMs, TICK_BATCH)) {
      const last = row.heartbeat_at ?? row.progress_at;
      const message =
        `No heartbeat for ${showDuration(now - last)} (last at ${iso(last)}; the limit is ${showDuration(this.options.heartbeatTimeoutMs)}): ` +
        "the process running this flow run is presumed dead. Failed by the zombie killer.";
      try {
        await this.db.flowRuns.setState(row.id, { name: "Failed", message }, { expectedVersion: row.version, force: true, now });
      } catch (error) {
        if (error instanceof SluiceError && error.code === "CONFLICT") continue; // it moved on meanwhile: not a zombie
        throw error;
      }
      await this.db.taskRuns.endUnfinished(row.id, "Failed", `Its flow run was failed by the zombie killer: ${message}`, now);
      this.log.warn({ flowRunId: row.id, service: this.name }, message);
      failed.push(row.id);
    }
    return { failed };
  }
}
