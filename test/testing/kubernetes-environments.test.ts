/**
 * The four Kubernetes environment kinds pass the environment conformance suite. The two that launch from a
 * ready image (kubernetes-job, kubernetes-cluster) also launch a run against the Kubernetes stand-in: its
 * image is one the stand-in does not know, so the pods wait in ErrImagePull and nothing runs; what is
 * checked is the created Job. The image-building kinds' launches need Docker and a registry and are
 * covered by their own tests (test/platforms/kubernetes).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { configSchema, type SluiceConfig } from "../../src/config/schema.js";
import { ClusterOnKubernetesEnvironment, DockerOnKubernetesEnvironment, KubernetesClusterEnvironment, KubernetesJobEnvironment } from "sluice";
import { FLOW_RUN_ID_LABEL } from "../../src/platforms/kubernetes/names.js";
import { runEnvironmentConformance } from "sluice/testing";
import { startKubeStandin, type KubeStandin } from "../support/kube/index.js";
import { k8sFlow } from "../platforms/kubernetes/fixtures/k8s-flow.js";

/** An image the stand-in's process runner does not know: the pods stay in ErrImagePull. */
const IDLE_IMAGE = "sluice-test/never-runs:1";
const SPEC = new URL("../platforms/kubernetes/fixtures/job_spec.yaml", import.meta.url);
const CLUSTER_RUN = "run() starts a worker cluster (broker and worker pods) before the flow runs; test/platforms/kubernetes/cluster covers it";

let kube: KubeStandin | undefined;
let runs = 0;
const standin = (): KubeStandin => {
  assert.ok(kube, "the stand-in started");
  return kube;
};
const config = (): SluiceConfig => configSchema().parse({ api: { url: "http://127.0.0.1:9" }, kubernetes: { kubeconfig: standin().kubeconfigPath } });
const launchOptions = () => ({ config: config(), flowRunId: `conformance-${process.pid}-${++runs}` });

/** The stand-in holds a Job labelled with the launched run's id, named in the resources. */
function holdsJobOfRun({ resources, options }: { resources: Record<string, unknown>; options: { flowRunId?: string } }): void {
  const jobs = standin()
    .jobs()
    .filter((job) => job.metadata.labels?.[FLOW_RUN_ID_LABEL] === options.flowRunId);
  assert.equal(jobs.length, 1, `one Job of run ${options.flowRunId}`);
  assert.equal(resources.job, jobs[0]!.metadata.name);
}

describe("Kubernetes environment kinds: conformance", { timeout: 120_000 }, () => {
  before(async () => {
    kube = await startKubeStandin({ runner: "process" });
  });
  after(async () => {
    await kube?.close();
  });

  runEnvironmentConformance("kubernetes-job", {
    type: "KubernetesJobEnvironment",
    create: (options) => new KubernetesJobEnvironment({ jobSpecFile: SPEC, ...options }),
    fields: { uniqueJobName: false },
    launch: { flow: k8sFlow, options: launchOptions, environment: { metadata: { image: IDLE_IMAGE } }, check: holdsJobOfRun },
  });

  runEnvironmentConformance("docker-on-kubernetes", {
    type: "DockerOnKubernetesEnvironment",
    create: (options) => new DockerOnKubernetesEnvironment(options),
  });

  runEnvironmentConformance("kubernetes-cluster", {
    type: "KubernetesClusterEnvironment",
    create: (options) => new KubernetesClusterEnvironment(options),
    fields: { minWorkers: 1, maxWorkers: 2, workStealing: true },
    ownExecutor: true,
    runSkipReason: CLUSTER_RUN,
    launch: { flow: k8sFlow, options: launchOptions, environment: { metadata: { image: IDLE_IMAGE } }, check: holdsJobOfRun },
  });

  runEnvironmentConformance("cluster-on-kubernetes", {
    type: "ClusterOnKubernetesEnvironment",
    create: (options) => new ClusterOnKubernetesEnvironment(options),
    fields: { maxWorkers: 1 },
    ownExecutor: true,
    runSkipReason: CLUSTER_RUN,
  });
});
