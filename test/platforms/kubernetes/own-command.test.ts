/**
 * A job spec whose first container has its own command: Sluice keeps it (a wrapper that runs before the
 * flow) and hands it Sluice's entry in SLUICE_ENTRY_COMMAND, against the Kubernetes stand-in (process mode).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../src/config/schema.js";
import { KubernetesJobEnvironment } from "../../../src/platforms/kubernetes/index.js";
import { FLOW_RUN_ID_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../support/kube/index.js";
import { k8sFlow, SLUICE_FROM_SOURCE } from "./fixtures/k8s-flow.js";
import { finishedJobOfRun } from "./finished-job.js";

const IMAGE = "sluice-test/k8s-job-flow:0.1.0";

describe("a job spec's own command on the Kubernetes stand-in (process mode)", { timeout: 120_000 }, () => {
  let kube: KubeStandin;
  before(async () => {
    kube = await startKubeStandin({ runner: "process", knownImages: [IMAGE] });
  });
  after(async () => {
    await kube?.close();
  });

  it("keeps the wrapper's command and args; the wrapper runs first, then execs Sluice's entry, and the flow runs", async () => {
    const environment = new KubernetesJobEnvironment({
      jobSpecFile: new URL("./fixtures/wrapper_spec.yaml", import.meta.url),
      metadata: { image: IMAGE },
      sluiceCommand: SLUICE_FROM_SOURCE,
    });
    const flowRunId = `wrapped-${process.pid}`;
    const config = configSchema().parse({ api: { url: "http://127.0.0.1:9", key: "plain-api-key" }, kubernetes: { kubeconfig: kube.kubeconfigPath } });
    const result = await environment.execute(k8sFlow, { flowRunId, config, logLevel: "silent" });
    assert.equal(result.kind, "launched");

    const created = kube.received.find(
      (r) => r.verb === "create" && r.resource === "jobs" && (r.body as KubeObject).metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId,
    );
    const container = (created!.body as KubeObject).spec.template.spec.containers[0];
    assert.deepEqual(container.command, ["sh", "-c"], "the user's command is kept");
    assert.equal(container.args.length, 1);
    const entry = container.env.find((e: { name: string }) => e.name === "SLUICE_ENTRY_COMMAND_JSON").value as string;
    assert.deepEqual((JSON.parse(entry) as string[]).slice(-4), ["--module", k8sFlow.module, "--flow", k8sFlow.name]);

    const { job: done, logs } = await finishedJobOfRun(kube, flowRunId, 90_000);
    assert.equal(done.status.succeeded, 1, `the Job succeeded; pod log:\n${logs}`);
    const lines = logs.split("\n");
    const marker = lines.findIndex((l) => l === "WRAPPER-MARKER before the flow, MY_ENV=wrapped");
    const output = lines.findIndex((l) => l.startsWith("K8S-FLOW-OUTPUT "));
    assert.ok(marker >= 0, `the wrapper ran; log:\n${logs}`);
    assert.ok(output > marker, `then the flow, through Sluice's entry; log:\n${logs}`);
    assert.deepEqual(JSON.parse(lines[output]!.slice("K8S-FLOW-OUTPUT ".length)), { value: "Example!", myEnv: "wrapped", flowRunId });
  });
});
