/**
 * Taking a run's worker cluster down, in order: the workers first, and the broker, its Service and its
 * Secret only once the workers are gone. A worker that gets SIGTERM finishes what it runs and unregisters
 * from the broker; with the broker already deleted it would wait on Redis until the kubelet kills it at
 * the end of its grace period. Each step is bounded, so a pod that never goes cannot hold the run.
 */
import type { ClusterApi, Removed } from "./cluster-api.js";
import { clusterSelector } from "./cluster-names.js";

/** How long the worker pods may take to go before the broker is deleted anyway, in ms. */
export const WORKERS_GONE_TIMEOUT_MS = 60_000;
/** Time between two looks at whether the worker pods are gone, in ms. */
const POLL_MS = 250;

export interface TeardownOptions {
  /** How long to wait for the workers to go before deleting the broker anyway, in ms. @default WORKERS_GONE_TIMEOUT_MS */
  workersGoneTimeoutMs?: number;
  /** Told when the workers did not go in time (the broker is deleted anyway). */
  onWorkersLate?: (left: readonly string[], waitedMs: number) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes the run's worker pods, waits (bounded) until they are gone, then deletes everything else of the
 * cluster (the broker pod, Service and Secrets, and any worker that is still there). Resolves with all
 * that was deleted; throws the first API error after every deletion was tried.
 */
export async function removeCluster(api: ClusterApi, namespace: string, flowRunId: string, options: TeardownOptions = {}): Promise<Removed> {
  const timeoutMs = options.workersGoneTimeoutMs ?? WORKERS_GONE_TIMEOUT_MS;
  const workerSelector = clusterSelector(flowRunId, "worker");
  let firstError: unknown;
  const none: Removed = { pods: [], services: [], secrets: [] };
  const attempt = (selector: string): Promise<Removed> =>
    api.deleteByLabel(namespace, selector).catch((error: unknown) => {
      firstError ??= error;
      return none;
    });
  const workers = await attempt(workerSelector);
  if (firstError === undefined) {
    try {
      const started = Date.now();
      let left = await api.listPods(namespace, workerSelector);
      while (left.length > 0 && Date.now() - started < timeoutMs) {
        await sleep(POLL_MS);
        left = await api.listPods(namespace, workerSelector);
      }
      if (left.length > 0)
        options.onWorkersLate?.(
          left.map((p) => p.metadata?.name ?? "?"),
          Date.now() - started,
        );
    } catch (error) {
      firstError = error;
    }
  }
  const rest = await attempt(clusterSelector(flowRunId));
  if (firstError !== undefined) throw firstError;
  return { pods: [...new Set([...workers.pods, ...rest.pods])], services: rest.services, secrets: rest.secrets };
}
