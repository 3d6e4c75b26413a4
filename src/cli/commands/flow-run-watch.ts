/**
 * `sluice flow-run watch <id> [--interval ms] [--json]`: a live view of a flow run on the server. It polls
 * the run, its task runs and its new log lines, turns what changed into the same RunEvents a local run
 * emits, and shows them with `sluice run`'s display (a live frame in a terminal, plain lines otherwise).
 * Stops when the run is finished. Exit codes: 0 the run succeeded, 1 it did not (or the server failed),
 * 2 bad input; 130 when Ctrl-C stops watching (the run goes on).
 */
import type { Command } from "commander";
import type { FlowRun, LogRecord as ApiLogRecord, TaskRun } from "../../client/index.js";
import { SluiceError, showValue } from "../../core/errors.js";
import type { LogLevel, RunEvent } from "../../core/events.js";
import { isFinished, type State } from "../../core/states.js";
import { LiveDisplay } from "../display/live.js";
import { plainLines } from "../display/plain.js";
import { RunProgress } from "../display/progress.js";
import { renderSummary } from "../display/render.js";
import { allTaskRuns, connect } from "../api.js";
import { EXIT, isInteractive, printJson } from "../output.js";

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

function parseInterval(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 50 || ms > 60_000) throw new SluiceError("INVALID_INPUT", `--interval ${showValue(value)} must be a number of ms from 50 to 60000`, { field: "--interval", value });
  return ms;
}

export function registerWatch(flowRun: Command): void {
  flowRun
    .command("watch")
    .description("Follow a flow run's task states and logs live until it finishes")
    .argument("<id>", "the flow run's id")
    .option("--interval <ms>", "pause between polls", "1000")
    .option("--json", "print { flowRun, taskRuns } as JSON when the run finishes, nothing before")
    .action(async (id: string, options: { interval: string; json?: boolean }) => {
      const intervalMs = parseInterval(options.interval);
      const { client } = connect();
      let run = await client.getFlowRun(id);
      const flow = await client.getFlow(run.flowId);
      const progress = new RunProgress(run.flowName, flow.taskGraph.tasks.length, Date.parse(run.startedAt ?? run.createdAt));
      progress.flowRunId = run.id;
      const live = !options.json && isInteractive(process.stdout) ? new LiveDisplay(progress, { stream: process.stdout }) : undefined;
      const show = (event: RunEvent): void => {
        if (live) live.observer(event);
        else if (options.json) progress.apply(event);
        else {
          const lines = plainLines(progress, event);
          if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
        }
      };
      const differ = new SnapshotEvents();
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once("SIGINT", stop);
      live?.start();
      let after: string | undefined;
      let taskRuns: TaskRun[] = [];
      try {
        for (;;) {
          const [latest, tasks, logs] = await Promise.all([client.getFlowRun(id), allTaskRuns(client, id), client.readLogs(id, { limit: 5000, ...(after === undefined ? {} : { after }) })]);
          run = latest;
          taskRuns = tasks;
          after = logs.nextCursor;
          for (const event of differ.events({ run, taskRuns, logs: logs.items })) show(event);
          if ((isFinished(run.state.name) && logs.items.length < 5000) || controller.signal.aborted) break;
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      } finally {
        process.removeListener("SIGINT", stop);
        live?.stop(isFinished(run.state.name));
      }
      if (options.json) printJson({ flowRun: run, taskRuns });
      else if (!live && isFinished(run.state.name)) process.stdout.write(`${renderSummary(progress).join("\n")}\n`);
      if (controller.signal.aborted && !isFinished(run.state.name)) process.exitCode = 130;
      else process.exitCode = run.state.name === "Success" ? EXIT.ok : EXIT.failed;
    });
}
