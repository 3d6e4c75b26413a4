/**
 * Turns what `sluice flow-run watch` polls from the server (the run, its task runs, new log lines) into the
 * same RunEvents a local run emits, so the watch shows them with `sluice run`'s display.
 */
import type { FlowRun, LogRecord as ApiLogRecord, TaskRun } from "../../client/index.js";
import type { LogLevel, RunEvent } from "../../core/events.js";
import { isFinished, type State } from "../../core/states.js";

/** What one poll saw. */
export interface WatchSnapshot {
  run: FlowRun;
  taskRuns: readonly TaskRun[];
  /** Log lines written since the previous poll. */
  logs: readonly ApiLogRecord[];
}

const LEVELS: Record<ApiLogRecord["level"], LogLevel> = { trace: "debug", debug: "debug", info: "info", warn: "warn", error: "error", fatal: "error" };

/** A log line of the API as a run's log record. */
export function logEvent(record: ApiLogRecord): RunEvent {
  const fields = { ...record.fields };
  const taskName = typeof fields.taskName === "string" ? fields.taskName : undefined;
  const mapIndex = typeof fields.mapIndex === "number" ? fields.mapIndex : null;
  delete fields.taskName;
  delete fields.mapIndex;
  return {
    type: "log",
    record: {
      level: LEVELS[record.level],
      message: record.message,
      timestamp: record.timestamp,
      flowRunId: record.flowRunId,
      ...(record.taskRunId === null ? {} : { taskRunId: record.taskRunId }),
      ...(taskName === undefined ? {} : { taskName, mapIndex }),
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    },
  };
}

/**
 * Turns successive snapshots into RunEvents: a flow-run state when it changed, a task-run state for each
 * task run whose version changed, and the new log lines. Ordered as a local run's: a started flow state
 * first, a finished one last.
 */
export class SnapshotEvents {
  #flowState: string | undefined;
  readonly #versions = new Map<string, number>();

  events(snapshot: WatchSnapshot): RunEvent[] {
    const { run } = snapshot;
    const out: RunEvent[] = [];
    const stateKey = `${run.state.name}\u0000${run.state.timestamp}`;
    const flowEvent: RunEvent | undefined =
      stateKey === this.#flowState ? undefined : { type: "flow-run-state", flowRunId: run.id, flowName: run.flowName, state: run.state as State };
    this.#flowState = stateKey;
    if (flowEvent && !isFinished(run.state.name)) out.push(flowEvent);
    for (const t of snapshot.taskRuns) {
      if (this.#versions.get(t.id) === t.version) continue;
      this.#versions.set(t.id, t.version);
      out.push({ type: "task-run-state", flowRunId: run.id, taskRunId: t.id, taskKey: t.taskKey, taskName: t.taskName, mapIndex: t.mapIndex < 0 ? null : t.mapIndex, state: t.state as State });
    }
    for (const record of snapshot.logs) out.push(logEvent(record));
    if (flowEvent && isFinished(run.state.name)) out.push(flowEvent);
    return out;
  }
}
