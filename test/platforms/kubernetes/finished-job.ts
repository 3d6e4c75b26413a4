/** Waiting, on the Kubernetes stand-in, for the Job of a run to finish, with its pod's log for messages. */
import { FLOW_RUN_ID_LABEL } from "../../../src/platforms/kubernetes/names.js";
import type { KubeObject, KubeStandin } from "../../support/kube/index.js";

/** The run's Job once it succeeded or failed (in `default`), and the log of its pod ("" when it has none). */
export async function finishedJobOfRun(kube: KubeStandin, flowRunId: string, timeoutMs: number): Promise<{ job: KubeObject; logs: string }> {
  const ofRun = (o: KubeObject): boolean => o.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId;
  const job = await kube.waitFor(() => {
    const found = kube.jobs("default").find(ofRun);
    return found && (found.status?.succeeded || found.status?.failed) ? found : undefined;
  }, timeoutMs);
  const pod = kube.pods("default").find(ofRun);
  return { job, logs: pod ? kube.logs(pod.metadata.name!) : "" };
}
