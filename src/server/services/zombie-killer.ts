/**
 * The zombie killer: a Running flow run whose heartbeats stopped for longer than `heartbeatTimeoutMs`
 * has lost its process. The run is failed with the reason, and so are its unfinished task runs.
 *
 * Start-up grace: while no server ran, no heartbeat could arrive, so a run's silence is counted from
 * max(its last heartbeat, the moment this server came up). After an outage the killer fails nothing until
 * the server has been up for `heartbeatTimeoutMs`, which gives live runners time to heartbeat again.
 */
import { SluiceError } from "../../core/errors.js";
import type { SluiceDatabase } from "../database/index.js";
import { iso } from "../database/rows.js";
import { IntervalService, TICK_BATCH, showDuration, staleCutoff, type ServiceLogger } from "./service.js";

export interface ZombieKillerOptions {
  /** A Running run without a heartbeat for this long (while a server was up) is failed. */
  heartbeatTimeoutMs: number;
  /** How often to look. */
  intervalMs: number;
  /**
   * When this server came up (ms since the epoch): silence before it does not count.
   * @default the time the killer is constructed
   */
  upSince?: number;
}

export class ZombieKiller extends IntervalService<{ failed: string[] }> {
  private readonly upSince: number;

  constructor(
    private readonly db: SluiceDatabase,
    private readonly options: ZombieKillerOptions,
    log: ServiceLogger,
  ) {
    super("zombie killer", options.intervalMs, log);
    this.upSince = options.upSince ?? Date.now();
  }

  async tick(now = Date.now()): Promise<{ failed: string[] }> {
    const failed: string[] = [];
    const cutoff = staleCutoff(now, this.options.heartbeatTimeoutMs, this.upSince);
    if (cutoff === undefined) return { failed };
    for (const row of await this.db.maintenance.zombies(cutoff, TICK_BATCH)) {
      const last = row.heartbeat_at ?? row.progress_at;
      const silentSince = Math.max(last, this.upSince);
      const downtime = last < this.upSince ? `; this server is up since ${iso(this.upSince)}` : "";
      const message =
        `No heartbeat for ${showDuration(now - silentSince)} (last at ${iso(last)}${downtime}; the limit is ${showDuration(this.options.heartbeatTimeoutMs)}): ` +
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
