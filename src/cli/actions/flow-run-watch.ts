/**
 * What `sluice flow-run watch <id>` does (flags in commands/flow-run-watch.ts): polls the run, its task
 * runs and its new log lines until the run is finished, and shows them with `sluice run`'s display. A task
 * run that changed more than once between two polls (a retry, a run already over) has its state history
 * read, so every attempt is shown, in the order things happened.
 */
import type { SluiceClient, TaskRun } from "../../client/index.js";
import type { RunEvent } from "../../core/events.js";
import { isFinished, type State } from "../../core/states.js";
import { allTaskRuns, connect } from "../api.js";
import { LiveDisplay } from "../display/live.js";
import { plainLines } from "../display/plain.js";
import { RunProgress } from "../display/progress.js";
import { renderSummary } from "../display/render.js";
import { SnapshotEvents } from "../display/snapshot-events.js";
import { EXIT, isInteractive, printJson } from "../output.js";

/** Task-run histories read at once. */
const HISTORY_READS = 8;

/** The state histories of task runs `ids`, read a few at a time. */
async function readHistories(client: SluiceClient, ids: readonly string[]): Promise<Map<string, State[]>> {
  const out = new Map<string, State[]>();
  for (let i = 0; i < ids.length; i += HISTORY_READS) {
    const batch = ids.slice(i, i + HISTORY_READS);
    const histories = await Promise.all(batch.map((id) => client.listTaskRunStates(id)));
    batch.forEach((id, j) => out.set(id, histories[j] as State[]));
  }
  return out;
}

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
  const differ = new SnapshotEvents(flow.taskGraph.tasks.map((t) => t.key));
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  live?.start();
  let after: string | undefined;
  let taskRuns: TaskRun[] = [];
  try {
    for (;;) {
      const [latest, tasks, logs] = await Promise.all([
        client.getFlowRun(id),
        allTaskRuns(client, id),
        client.readLogs(id, { limit: 5000, ...(after === undefined ? {} : { after }) }),
      ]);
      run = latest;
      taskRuns = tasks;
      after = logs.nextCursor;
      const [histories, flowStates] = await Promise.all([
        readHistories(client, differ.historyNeeded(tasks)),
        differ.flowHistoryNeeded(run) ? client.listFlowRunStates(id) : undefined,
      ]);
      for (const event of differ.events({ run, taskRuns, logs: logs.items, histories, ...(flowStates ? { flowStates: flowStates as State[] } : {}) }))
        show(event);
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
