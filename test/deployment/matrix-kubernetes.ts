/**
 * What the Kubernetes stand-in must have seen of a run the kubernetes agent launched, for the deployment
 * matrix: the agent's Job (stage "deploy") and then the environment's own Job, both from the flow's image;
 * for the worker-cluster kinds, the environment's Job is the scheduler and at least one worker pod ran from
 * that image, and no worker pod of the run is left once the run has ended. So a cell passes only when the
 * run really went through the cluster the agent talks to, not merely when the server says Success.
 */
import assert from "node:assert/strict";
import type { MatrixCell } from "../../src/platforms/capabilities.js";
import type { KubeObject, KubeStandin } from "../support/kube/index.js";

const RUN_LABEL = "sluice.io/flow-run-id";
const ROLE_LABEL = "sluice.io/cluster-role";
/** The environment kinds that run their flow on a temporary cluster of worker pods (their broker: Redis). */
export const CLUSTER_KINDS: ReadonlySet<string> = new Set(["kubernetes-cluster", "cluster-on-kubernetes"]);
/** How long the workers of an ended run may take to go. */
const WORKERS_GONE_MS = 60_000;

const imagesOf = (podSpec: { containers?: { image?: string }[] } | undefined): string[] => (podSpec?.containers ?? []).map((c) => c.image ?? "");

/** Asserts the Jobs and pods of run `runId` of `cell` as created on `kube`; `image` is the flow's image. */
export async function checkKubernetesRun(kube: KubeStandin, cell: MatrixCell, runId: string, image: string): Promise<void> {
  const ofRun = (o: KubeObject): boolean => o.metadata.labels?.[RUN_LABEL] === runId;
  const created = (resource: string): KubeObject[] =>
    kube.received.filter((r) => r.verb === "create" && r.resource === resource && r.code < 300 && ofRun(r.body as KubeObject)).map((r) => r.body as KubeObject);
  const jobs = created("jobs");
  const names = jobs.map((j) => j.metadata.name).join(", ");
  assert.equal(jobs.length, 2, `the agent's Job and the ${cell.type}'s Job of run ${runId}, created: ${names}`);
  for (const job of jobs) assert.deepEqual(imagesOf(job.spec.template.spec), [image], `the containers of Job ${job.metadata.name} run the flow's image`);

  const workers = created("pods").filter((p) => p.metadata.labels?.[ROLE_LABEL] === "worker");
  if (!CLUSTER_KINDS.has(cell.environment)) {
    assert.equal(workers.length, 0, `${cell.type} starts no worker pods`);
    return;
  }
  assert.equal(jobs[1]!.metadata.labels?.[ROLE_LABEL], "scheduler", `the ${cell.type}'s Job is the cluster's scheduler`);
  assert.ok(workers.length >= 1, `the scheduler of ${cell.type} started worker pods`);
  for (const worker of workers) assert.deepEqual(imagesOf(worker.spec), [image], "the worker pods run the flow's image");
  await kube.waitFor(() => kube.pods().every((p) => !ofRun(p) || p.metadata.labels?.[ROLE_LABEL] !== "worker"), WORKERS_GONE_MS);
}
