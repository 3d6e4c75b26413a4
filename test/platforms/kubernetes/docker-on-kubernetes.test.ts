import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../src/config/schema.js";
import { type SluiceError } from "../../../src/core/errors.js";
import { buildDockerJob } from "../../../src/platforms/kubernetes/docker-job.js";
import { DockerOnKubernetesEnvironment } from "../../../src/platforms/kubernetes/index.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { BatchV1Api, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { kubeTarget, type KubeTarget } from "../../support/kube/index.js";
import { k8sFlow } from "./fixtures/k8s-flow.js";
import { fixtureImage, fixtureSluiceCommand } from "./fixtures/cluster-image.js";

const IMAGE = fixtureImage("sluice-test/docker-on-k8s:1");

describe("buildDockerJob", () => {
  it("one container from the image running the entry, labelled on the Job and its pods, never retried", () => {
    const job = buildDockerJob({
      image: "reg/flow:1",
      flowRunId: "run-1",
      identifier: "id-1",
      env: [{ name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: "run-1" }],
      command: ["sluice"],
      args: ["execute", "flow", "--module", "/opt/sluice/flows/a.mjs", "--flow", "a"],
    });
    const labels = { [IDENTIFIER_LABEL]: "id-1", [FLOW_RUN_ID_LABEL]: "run-1", [CREATED_BY_LABEL]: "docker-on-kubernetes" };
    assert.deepEqual(job, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "sluice-flow-run-1", labels },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "Never",
            containers: [
              {
                name: "flow",
                image: "reg/flow:1",
                command: ["sluice"],
                args: ["execute", "flow", "--module", "/opt/sluice/flows/a.mjs", "--flow", "a"],
                env: [{ name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: "run-1" }],
              },
            ],
          },
        },
      },
    });
  });
});

describe(
  "DockerOnKubernetesEnvironment on a Kubernetes target (the stand-in in process mode, or SLUICE_TEST_KUBECONFIG's cluster)",
  { timeout: 120_000 },
  () => {
    let cluster: KubeTarget;
    let batch: BatchV1Api;
    /** Runs whose Jobs this suite created in namespace default (this form's only namespace): deleted after it. */
    const launched: string[] = [];
    before(async () => {
      cluster = await kubeTarget({ standin: { runner: "process", knownImages: [IMAGE] }, namespacePrefix: "sluice-k8s-dok" });
      batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
    });
    after(async () => {
      for (const flowRunId of launched) {
        await batch
          .deleteCollectionNamespacedJob({ namespace: "default", labelSelector: `${FLOW_RUN_ID_LABEL}=${flowRunId}`, propagationPolicy: "Background" })
          .catch(() => undefined);
      }
      await cluster?.close();
    });
    /** The run's Jobs in namespace default, read from the API (the suite's view watches its own namespace only). */
    const jobsOfRun = async (flowRunId: string): Promise<V1Job[]> =>
      (await batch.listNamespacedJob({ namespace: "default", labelSelector: `${FLOW_RUN_ID_LABEL}=${flowRunId}` })).items;

    it("execute() creates one Job in namespace default, labelled with a fresh identifier, that runs the flow", async () => {
      const environment = new DockerOnKubernetesEnvironment({ metadata: { image: IMAGE }, sluiceCommand: fixtureSluiceCommand });
      const requests = cluster.hooks?.requestCount() ?? 0;
      await environment.setup(k8sFlow);
      assert.equal(cluster.hooks?.requestCount() ?? 0, requests, "setup does nothing");
      const flowRunId = `dok-${process.pid}-${randomBytes(3).toString("hex")}`;
      launched.push(flowRunId, `${flowRunId}-b`);
      // The run's namespace is the suite's, but this 2019 form always uses default.
      const config = configSchema().parse({ context: { namespace: cluster.namespace }, kubernetes: { kubeconfig: cluster.kubeconfigPath } });
      const result = await environment.execute(k8sFlow, { flowRunId, config, logLevel: "silent" });
      assert.equal(result.kind, "launched");
      const [created, ...more] = await jobsOfRun(flowRunId);
      assert.ok(created, "the Job is in namespace default");
      assert.equal(more.length, 0);
      const labels = created.metadata!.labels!;
      assert.match(labels[IDENTIFIER_LABEL]!, /^[0-9a-f-]{36}$/);

      // A second environment gets a fresh identifier.
      const other = new DockerOnKubernetesEnvironment({ metadata: { image: "sluice-test/idle:1" } });
      await other.execute(k8sFlow, { flowRunId: `${flowRunId}-b`, config, logLevel: "silent" });
      const [second] = await jobsOfRun(`${flowRunId}-b`);
      assert.notEqual(second?.metadata?.labels?.[IDENTIFIER_LABEL], labels[IDENTIFIER_LABEL]);

      const deadline = Date.now() + 90_000;
      let job = created;
      while (!job.status?.succeeded && !job.status?.failed) {
        assert.ok(Date.now() < deadline, "the Job finished within 90 s");
        await new Promise((resolve) => setTimeout(resolve, 250));
        job = (await jobsOfRun(flowRunId))[0] ?? job;
      }
      const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
      const [pod] = (await core.listNamespacedPod({ namespace: "default", labelSelector: `${FLOW_RUN_ID_LABEL}=${flowRunId}` })).items;
      const logs = pod ? await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: "default" }) : "(no pod)";
      assert.equal(job.status?.succeeded, 1, logs);
      assert.match(logs, /K8S-FLOW-OUTPUT \{"value":"Example!"/);
      assert.equal((await batch.listNamespacedJob({ namespace: cluster.namespace })).items.length, 0, "nothing in the run's namespace");
    });

    it("without an image (no build, no metadata.image) fails before any call", async (t) => {
      const hooks = cluster.requireHooks(t, "counts the requests the stand-in received");
      if (!hooks) return;
      const environment = new DockerOnKubernetesEnvironment();
      const before = hooks.requestCount();
      await assert.rejects(
        environment.execute(k8sFlow, {
          flowRunId: "no-image",
          config: configSchema().parse({ kubernetes: { kubeconfig: cluster.kubeconfigPath } }),
          logLevel: "silent",
        }),
        (e: SluiceError) => e.field === "metadata.image",
      );
      assert.equal(hooks.requestCount(), before);
    });

    it("rejects unknown options, naming them", () => {
      assert.throws(
        () => new DockerOnKubernetesEnvironment({ python_dependencies: ["x"] } as never),
        (e: SluiceError) => e.code === "INVALID_OPTION" && /python_dependencies/.test(e.message),
      );
      assert.throws(
        () => new DockerOnKubernetesEnvironment({ env: { "BAD-NAME": "x" } }),
        (e: SluiceError) => e.field === "env.BAD-NAME",
      );
      assert.deepEqual(
        { ...new DockerOnKubernetesEnvironment({ labels: ["b", "a"] }).serialize(), version: "x" },
        { type: "DockerOnKubernetesEnvironment", version: "x", labels: ["a", "b"], metadata: {} },
      );
    });
  },
);
