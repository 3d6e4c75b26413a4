/**
 * Names and labels of what a worker cluster creates. Everything carries `sluice.io/flow-run-id` (the key
 * that ties a run's resources together) and `sluice.io/cluster-role`, so the scheduler deletes its
 * workers and broker by label without touching its own pod, and the agent finds the scheduler Job.
 */
import { FLOW_RUN_ID_LABEL, dnsSlug, jobNameForRun } from "../names.js";

/** Label saying what part of a cluster an object is: "scheduler", "worker" or "broker". */
export const CLUSTER_ROLE_LABEL = "sluice.io/cluster-role";

export type ClusterRole = "scheduler" | "worker" | "broker";

/** Prefix of scheduler Job names (then the run id): `sluice-cluster-job-<run>`. */
export const SCHEDULER_JOB_PREFIX = "sluice-cluster-job";

/** Name of the scheduler Job of a run: the same run always gets the same name (idempotent creation). */
export const schedulerJobName = (flowRunId: string): string => jobNameForRun(SCHEDULER_JOB_PREFIX, flowRunId);

/**
 * A `generateName` for one kind of object of a run: `<prefix>-<run slug>-` (Kubernetes appends 5
 * characters). Short enough that the full name stays a 63-character DNS label (a pod's hostname).
 */
export function generateNameFor(prefix: string, flowRunId: string): string {
  const slug = dnsSlug(flowRunId, 63 - prefix.length - 1 - 1 - 5);
  return slug === "" ? `${prefix}-` : `${prefix}-${slug}-`;
}

/** The queue prefix of a run's cluster: its own namespace in the broker, so the scaler sees only this run's tasks. */
export function clusterQueuePrefix(flowRunId: string): string {
  const slug = flowRunId
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return `sluice-cluster-${slug || "run"}`;
}

/** The label selector of the objects of `role` (or of every cluster role but the scheduler) of a run. */
export function clusterSelector(flowRunId: string, role?: ClusterRole): string {
  const base = `${FLOW_RUN_ID_LABEL}=${flowRunId}`;
  return role === undefined ? `${base},${CLUSTER_ROLE_LABEL} in (worker,broker)` : `${base},${CLUSTER_ROLE_LABEL}=${role}`;
}
