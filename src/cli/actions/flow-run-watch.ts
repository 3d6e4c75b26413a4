/**
 * What `sluice flow-run watch <id>` does (flags in commands/flow-run-watch.ts): polls the run, its task
 * runs and its new log lines until the run is finished, and shows them with `sluice run`'s display.
 */
import type { TaskRun } from "../../client/index.js";
import type { RunEvent } from "../../core/events.js";
import { isFinished } from "../../core/states.js";
import { allTaskRuns, connect } from "../api.js";
import { LiveDisplay } from "../display/live.js";
import { plainLines } from "../display/plain.js";
import { RunProgress } from "../display/progress.js";
import { renderSummary } from "../display/render.js";
import { SnapshotEvents } from "../display/snapshot-events.js";
import { EXIT, isInteractive, printJson } from "../output.js";

/** Watches run `id`, polling every `intervalMs`; resolves with the exit code (0 the run succeeded, 1 not, 130 stopped by Ctrl-C first). */
export async function watchRun(id: string, intervalMs: number, json: boolean): Promise<number> {
  const { client } = connect();
  let run = await client.getFlowRun(id);
  const flow = await client.getFlow(run.flowId);
  const progress = new RunProgress(run.flowName, flow.taskGraph.tasks.length, Date.parse(run.startedAt ?? run.createdAt));
  progress.flowRunId = run.id;
  const live = !json && isInteractive(process.stdout) ? new LiveDisplay(progress, { stream: process.stdout }) : undefined;
  const show = (event: RunEvent): void => {
    if (live) live.observer(event);
    else if (json) progress.apply(event);
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
  if (json) printJson({ flowRun: run, taskRuns });
  else if (!live && isFinished(run.state.name)) process.stdout.write(`${renderSummary(progress).join("\n")}\n`);
  if (controller.signal.aborted && !isFinished(run.state.name)) return 130;
  return run.state.name === "Success" ? EXIT.ok : EXIT.failed;
}
