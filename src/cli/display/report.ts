/**
 * The one JSON document `sluice run --json` prints when the run ends: the flow run's final state, its
 * duration, and every task run's final state, attempts and duration. Built from the run's result and
 * the progress model (which saw when each task run started and ended).
 */
import type { SerializedError } from "../../core/errors.js";
import type { StateName } from "../../core/states.js";
import type { RunProgress } from "./progress.js";

/** A task run as `--json` reports it. */
export interface TaskRunReport {
  taskRunId: string;
  taskKey: string;
  taskName: string;
  mapIndex: number | null;
  state: StateName;
  message?: string;
  error?: SerializedError;
  /** How many times the task was called. */
  attempts: number;
  /** From its first Running state to its final state, in ms; null when it never ran. */
  durationMs: number | null;
  cached?: boolean;
}

export interface RunReport {
  flowRunId: string;
  flowName: string;
  module: string;
  executor: string;
  parameters: Record<string, unknown>;
  state: StateName;
  message?: string;
  error?: SerializedError;
  /** Wall time of the run, in ms. */
  durationMs: number;
  /** Task runs by final state. */
  counts: Partial<Record<StateName, number>>;
  taskRuns: TaskRunReport[];
  /** What the flow body returned, results filled in, when it is JSON. */
  value?: unknown;
}

/** What the report needs of the run's result (FlowRunResult satisfies it). */
export interface ReportableResult {
  flowRunId: string;
  flowName: string;
  state: { name: StateName; message?: string; error?: SerializedError };
  taskRuns: readonly {
    taskRunId: string;
    taskKey: string;
    taskName: string;
    mapIndex: number | null;
    attempts: number;
    state: { name: StateName; message?: string; error?: SerializedError; cached?: boolean };
  }[];
  value: unknown;
}

function jsonOrUndefined(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return undefined;
  }
}

export function buildRunReport(
  result: ReportableResult,
  progress: RunProgress,
  extra: { module: string; executor: string; parameters: Record<string, unknown>; durationMs: number },
): RunReport {
  const counts: Partial<Record<StateName, number>> = {};
  const taskRuns = result.taskRuns.map((t) => {
    counts[t.state.name] = (counts[t.state.name] ?? 0) + 1;
    const view = progress.taskRuns.get(t.taskRunId);
    const report: TaskRunReport = {
      taskRunId: t.taskRunId,
      taskKey: t.taskKey,
      taskName: t.taskName,
      mapIndex: t.mapIndex,
      state: t.state.name,
      attempts: t.attempts,
      durationMs: view && view.startedAt !== null && view.endedAt !== null ? view.endedAt - view.startedAt : null,
    };
    if (t.state.message !== undefined) report.message = t.state.message;
    if (t.state.error !== undefined) report.error = t.state.error;
    if (t.state.cached) report.cached = true;
    return report;
  });
  const report: RunReport = {
    flowRunId: result.flowRunId,
    flowName: result.flowName,
    module: extra.module,
    executor: extra.executor,
    parameters: extra.parameters,
    state: result.state.name,
    durationMs: Math.round(extra.durationMs * 1000) / 1000,
    counts,
    taskRuns,
  };
  if (result.state.message !== undefined) report.message = result.state.message;
  if (result.state.error !== undefined) report.error = result.state.error;
  const value = jsonOrUndefined(result.value);
  if (value !== undefined) report.value = value;
  return report;
}
