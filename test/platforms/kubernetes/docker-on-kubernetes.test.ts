import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../src/config/schema.js";
import { type SluiceError } from "../../../src/core/errors.js";
import { buildDockerJob } from "../../../src/platforms/kubernetes/docker-job.js";
import { DockerOnKubernetesEnvironment } from "../../../src/platforms/kubernetes/index.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { startKubeStandin, type KubeStandin } from "../../support/kube/index.js";
import { SLUICE_FROM_SOURCE, k8sFlow } from "./fixtures/k8s-flow.js";

const IMAGE = "sluice-test/docker-on-k8s:1";

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

describe("DockerOnKubernetesEnvironment (stand-in, process mode)", { timeout: 120_000 }, () => {
  let kube: KubeStandin;
  before(async () => {
    kube = await startKubeStandin({ runner: "process", namespaces: ["team-a"], knownImages: [IMAGE] });
  });
  after(async () => {
    await kube?.close();
  });

  it("execute() creates one Job in namespace default, labelled with a fresh identifier, that runs the flow", async () => {
    const environment = new DockerOnKubernetesEnvironment({ metadata: { image: IMAGE }, sluiceCommand: SLUICE_FROM_SOURCE });
    await environment.setup(k8sFlow);
    assert.equal(kube.received.length, 0, "setup does nothing");
    const flowRunId = `dok-${process.pid}`;
    // The run's namespace is team-a, but this 2019 form always uses default.
    const config = configSchema().parse({ context: { namespace: "team-a" }, kubernetes: { kubeconfig: kube.kubeconfigPath } });
    const result = await environment.execute(k8sFlow, { flowRunId, config, logLevel: "silent" });
    assert.equal(result.kind, "launched");
    const creates = kube.received.filter((r) => r.verb === "create" && r.resource === "jobs");
    assert.equal(creates.length, 1);
    assert.equal(creates[0]!.namespace, "default");
    const body = creates[0]!.body as { metadata: { labels: Record<string, string> } };
    assert.match(body.metadata.labels[IDENTIFIER_LABEL]!, /^[0-9a-f-]{36}$/);
    assert.equal(body.metadata.labels[FLOW_RUN_ID_LABEL], flowRunId);

    // A second environment gets a fresh identifier.
    const other = new DockerOnKubernetesEnvironment({ metadata: { image: "sluice-test/idle:1" } });
    await other.execute(k8sFlow, { flowRunId: `${flowRunId}-b`, config, logLevel: "silent" });
    const second = kube.received.filter((r) => r.verb === "create" && r.resource === "jobs")[1]!.body as { metadata: { labels: Record<string, string> } };
    assert.notEqual(second.metadata.labels[IDENTIFIER_LABEL], body.metadata.labels[IDENTIFIER_LABEL]);

    const job = await kube.waitFor(() => {
      const j = kube.jobs("default").find((x) => x.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId);
      return j && (j.status?.succeeded || j.status?.failed) ? j : undefined;
    }, 90_000);
    const pod = kube.pods("default").find((p) => p.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId)!;
    const logs = kube.logs(pod.metadata.name!);
    assert.equal(job.status.succeeded, 1, logs);
    assert.match(logs, /K8S-FLOW-OUTPUT \{"value":"Example!"/);
    assert.equal(kube.jobs("team-a").length, 0);
  });

  it("without an image (no build, no metadata.image) fails before any call", async () => {
    const environment = new DockerOnKubernetesEnvironment();
    const before = kube.received.length;
    await assert.rejects(
      environment.execute(k8sFlow, {
        flowRunId: "no-image",
        config: configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath } }),
        logLevel: "silent",
      }),
      (e: SluiceError) => e.field === "metadata.image",
    );
    assert.equal(kube.received.length, before);
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
});
