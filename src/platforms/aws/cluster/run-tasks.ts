/**
 * Stopping what is left of a run: every task of `startedBy` that carries the run's `sluice.io/flow-run-id`
 * tag, plus the ARNs the caller knows it started. Used by the cluster's teardown, and by the ECS agent once
 * the task it launched for a run has ended (a scheduler that crashed leaves its broker and workers behind).
 * Task definitions are never touched.
 */
import type { EcsApi } from "../ecs-client.js";
import { FLOW_RUN_ID_TAG } from "../names.js";

/** Stops the run's tasks that are not stopped yet; resolves with the ARNs it stopped. */
export async function stopRunTasks(
  api: EcsApi,
  cluster: string | undefined,
  flowRunId: string,
  startedBy: string,
  known: readonly string[] = [],
  reason = "Sluice: the flow run is over; its cluster is torn down",
): Promise<string[]> {
  const arns = new Set(known);
  for (const arn of await api.listTasks(cluster, { startedBy })) {
    const task = await api.describeTask(cluster, arn);
    if (task?.tags?.some((t) => t.key === FLOW_RUN_ID_TAG && t.value === flowRunId)) arns.add(arn);
  }
  const stopped: string[] = [];
  for (const arn of arns) {
    const task = await api.describeTask(cluster, arn);
    if (!task || task.lastStatus === "STOPPED" || task.desiredStatus === "STOPPED") continue;
    await api.stopTask(cluster, arn, reason);
    stopped.push(arn);
  }
  return stopped;
}
