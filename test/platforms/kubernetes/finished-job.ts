/** Waiting, on a Kubernetes target (the stand-in or a real cluster), for the Job of a run to finish, with its pod's log for messages. */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { FLOW_RUN_ID_LABEL } from "../../../src/platforms/kubernetes/names.js";
import type { ClusterView, KubeObject } from "../../support/kube/index.js";

/** What is read: Jobs and pods (a stand-in, or a target's view) and a client for the pod's log. */
export type FinishedJobSource = Pick<ClusterView, "jobs" | "pods" | "waitFor"> & { kubeConfig: KubeConfig };

/** The run's Job once it succeeded or failed (in `namespace`), and the log of its pod ("" when it has none). */
export async function finishedJobOfRun(
  kube: FinishedJobSource,
  flowRunId: string,
  timeoutMs: number,
  namespace = "default",
): Promise<{ job: KubeObject; logs: string }> {
  const ofRun = (o: KubeObject): boolean => o.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId;
  const job = await kube.waitFor(() => {
    const found = kube.jobs(namespace).find(ofRun);
    return found && (found.status?.succeeded || found.status?.failed) ? found : undefined;
  }, timeoutMs);
  const pod = kube.pods(namespace).find(ofRun);
  if (!pod) return { job, logs: "" };
  const logs = await kube.kubeConfig
    .makeApiClient(CoreV1Api)
    .readNamespacedPodLog({ name: pod.metadata.name!, namespace })
    .catch((error: unknown) => `(the pod's log cannot be read: ${String(error)})`);
  return { job, logs };
}
