/**
 * Large data for the UI's scale checks (test and bench): a finished run of a flow with thousands of tasks
 * in layers (some mapped, some retried, a few failed), and many runs of a flow no agent takes. Written
 * through the public API, as a runner and users would.
 */
import type { SluiceClient } from "../../src/client/index.js";

/** Registers a flow of `tasks` tasks in layers of `width` (each task waits for two of the layer before). */
export async function registerWideFlow(client: SluiceClient, name: string, tasks: number, width = 50): Promise<string> {
  const nodes = Array.from({ length: tasks }, (_, i) => {
    const layer = Math.floor(i / width);
    const upstream = layer === 0 ? [] : [`t${(layer - 1) * width + (i % width)}`, `t${(layer - 1) * width + ((i + 1) % width)}`];
    return { key: `t${i}`, name: `step-${layer}-${i % width}`, upstream, mapped: i % 97 === 5 };
  });
  const registered = await client.registerFlow({
    name,
    environment: { type: "LocalEnvironment", labels: ["ui-scale-nobody"] },
    storage: { type: "LocalStorage" },
    taskGraph: { tasks: nodes },
  });
  return registered.flowId;
}

/** Creates a run of the flow and reports it finished: every task run Success except a few Failed ones. */
export async function finishedRun(client: SluiceClient, flowId: string, tasks: number): Promise<string> {
  const run = await client.createFlowRun({ flowId, labels: ["ui-scale-nobody"] });
  const t0 = Date.now() - 60_000;
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  await client.setFlowRunState(run.id, { name: "Running", timestamp: at(0) });
  const updates = [];
  for (let i = 0; i < tasks; i++) {
    const start = Math.floor(i / 50) * 500;
    const failed = i % 997 === 13;
    if (i % 97 === 5) {
      updates.push({
        taskKey: `t${i}`,
        mapIndex: -1,
        taskName: `step-${Math.floor(i / 50)}-${i % 50}`,
        state: { name: "Mapped" as const, mapCount: 3, timestamp: at(start + 10) },
      });
      for (let c = 0; c < 3; c++)
        updates.push({
          taskKey: `t${i}`,
          mapIndex: c,
          taskName: `step-${Math.floor(i / 50)}-${i % 50}`,
          state: { name: "Running" as const, timestamp: at(start + 20) },
        });
      for (let c = 0; c < 3; c++) updates.push({ taskKey: `t${i}`, mapIndex: c, state: { name: "Success" as const, timestamp: at(start + 300) } });
      continue;
    }
    updates.push({
      taskKey: `t${i}`,
      mapIndex: -1,
      taskName: `step-${Math.floor(i / 50)}-${i % 50}`,
      state: { name: "Running" as const, attempt: 1, timestamp: at(start + 5) },
    });
    if (i % 211 === 7) {
      updates.push({ taskKey: `t${i}`, mapIndex: -1, state: { name: "Retrying" as const, attempt: 1, timestamp: at(start + 100) } });
      updates.push({ taskKey: `t${i}`, mapIndex: -1, state: { name: "Running" as const, attempt: 2, timestamp: at(start + 150) } });
    }
    updates.push({
      taskKey: `t${i}`,
      mapIndex: -1,
      state: failed
        ? { name: "Failed" as const, error: { name: "Error", message: `step ${i} failed` }, timestamp: at(start + 400) }
        : { name: "Success" as const, timestamp: at(start + 400) },
    });
  }
  for (let i = 0; i < updates.length; i += 5000) await client.setTaskRunStates(run.id, updates.slice(i, i + 5000));
  await client.setFlowRunState(run.id, { name: "Failed", message: "4 tasks failed", timestamp: at(Math.ceil(tasks / 50) * 500 + 500) });
  return run.id;
}

/** Creates `count` runs of the flow (they stay Scheduled: no agent has the flow's label), 16 at a time. */
export async function manyRuns(client: SluiceClient, flowId: string, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await client.createFlowRun({ flowId, labels: ["ui-scale-nobody", i % 3 === 0 ? "nightly" : "adhoc"], name: `bulk-${i}` });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
