/** The queries of the server's services: which runs are zombies, stuck, or overdue to end a cancel. */
import type { SqlDriver } from "./driver.js";
import type { FlowRunRow } from "./flow-run-rows.js";

const UNFINISHED = "('Pending', 'Scheduled', 'Submitted', 'Running', 'Retrying')";

export class MaintenanceRepository {
  constructor(private readonly db: SqlDriver) {}

  /** Running runs whose last heartbeat (or, without one, last progress) is before `cutoff`. */
  zombies(cutoff: number, limit: number): Promise<FlowRunRow[]> {
    return this.db.all<FlowRunRow>("SELECT * FROM flow_runs WHERE state = 'Running' AND COALESCE(heartbeat_at, progress_at) < ? ORDER BY seq LIMIT ?", [
      cutoff,
      limit,
    ]);
  }

  /**
   * Submitted or Running runs without progress (state or task-run change) since `cutoff` and without a
   * task run in Running or Retrying: a run whose process never started, or hangs between tasks.
   */
  stuck(cutoff: number, limit: number): Promise<FlowRunRow[]> {
    return this.db.all<FlowRunRow>(
      `SELECT * FROM flow_runs r WHERE r.state IN ('Submitted', 'Running') AND r.progress_at < ?
         AND NOT EXISTS (SELECT 1 FROM task_runs t WHERE t.flow_run_id = r.id AND t.state IN ('Running', 'Retrying'))
       ORDER BY r.seq LIMIT ?`,
      [cutoff, limit],
    );
  }

  /** Unfinished runs whose cancel request is older than `cutoff`. */
  cancelOverdue(cutoff: number, limit: number): Promise<FlowRunRow[]> {
    return this.db.all<FlowRunRow>(
      `SELECT * FROM flow_runs WHERE cancel_requested_at IS NOT NULL AND cancel_requested_at < ? AND state IN ${UNFINISHED} ORDER BY seq LIMIT ?`,
      [cutoff, limit],
    );
  }
}
