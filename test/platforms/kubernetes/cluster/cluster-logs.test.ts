/**
 * An existing Redis as the broker, and what schedulerLogs and logK8sErrors add to a run's logs, against
 * real Redis and the Kubernetes stand-in (process mode). The test process is the scheduler (`run()`).
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import type { RunEvent } from "../../../../src/core/events.js";
import { createLogger } from "../../../../src/core/logger.js";
import { DEFAULT_BROKER_IMAGE } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { KubernetesClusterEnvironment, type KubernetesClusterEnvironmentOptions } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../../support/kube/index.js";
import { serviceSuite, services } from "../../../support/services.js";
import { IMAGE, sharedBrokerFlow, sluiceCommand } from "./fixtures/cluster-flow.js";

await serviceSuite(["redis"], "worker-cluster logs and an existing broker", () => {
  let kube: KubeStandin;
  let config: SluiceConfig;
  let outDir: string;
  let runs = 0;

  before(async () => {
    kube = await startKubeStandin({ runner: "process", knownImages: [IMAGE, DEFAULT_BROKER_IMAGE] });
    config = configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath }, logging: { level: "warn" } });
    outDir = mkdtempSync(join(tmpdir(), "sluice-cluster-logs-"));
  });
  after(async () => {
    await kube?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  async function run(options: KubernetesClusterEnvironmentOptions) {
    const env = new KubernetesClusterEnvironment({ metadata: { image: IMAGE }, sluiceCommand, broker: services.redisUrl, scaleIntervalMs: 300, ...options });
    const flowRunId = `run-l${process.pid}-${++runs}`;
    const events: RunEvent[] = [];
    const result = await env.run(sharedBrokerFlow, {
      config,
      flowRunId,
      parameters: { outDir, n: 2, ms: 50, tailMs: 50 },
      logger: createLogger({ level: "silent" }),
      observers: [(e) => events.push(e)],
    });
    const logs = events.flatMap((e) => (e.type === "log" ? [e.record] : []));
    return { flowRunId, result, logs };
  }
  const created = (flowRunId: string, resource: string) =>
    kube.received.filter(
      (r) => r.verb === "create" && r.resource === resource && r.code < 300 && (r.body as KubeObject).metadata?.labels?.["sluice.io/flow-run-id"] === flowRunId,
    );

  it(
    "runs on an existing Redis: no broker pod, no Secret without a password; schedulerLogs puts the scheduler's messages on the run",
    { timeout: 90_000 },
    async () => {
      const { flowRunId, result, logs } = await run({ schedulerLogs: true });
      assert.equal(result.state.name, "Success", result.state.message);
      assert.equal(created(flowRunId, "secrets").length, 0);
      assert.equal(created(flowRunId, "services").length, 0);
      const pods = created(flowRunId, "pods").map((r) => r.body as KubeObject);
      assert.ok(pods.length >= 1 && pods.every((p) => p.metadata.labels?.["sluice.io/cluster-role"] === "worker"));
      const env = new Map(pods[0]!.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      assert.equal(env.get("SLUICE__EXECUTOR__REDIS_URL"), "redis://127.0.0.1:6379");
      assert.equal(env.has("SLUICE__EXECUTOR__REDIS_PASSWORD"), false);
      const messages = logs.map((l) => l.message);
      assert.ok(messages.includes("cluster: using broker redis://127.0.0.1:6379"), messages.join("\n"));
      assert.ok(messages.some((m) => /^cluster: created worker pod sluice-worker-/.test(m)));
      assert.ok(messages.some((m) => /^cluster: removed \d+ pod\(s\), 0 Service\(s\) and 0 Secret\(s\) of the cluster$/.test(m)));

      const plain = await run({});
      assert.equal(plain.result.state.name, "Success");
      assert.deepEqual(
        plain.logs.filter((l) => l.message.startsWith("cluster:")),
        [],
        "without schedulerLogs the run's logs hold none of them",
      );
    },
  );

  it("logK8sErrors puts the Kubernetes errors the cluster recovers from on the run", { timeout: 90_000 }, async () => {
    const undeny = kube.deny("delete", "pods");
    let withFlag, without;
    try {
      withFlag = await run({ logK8sErrors: true });
      without = await run({ logK8sErrors: false });
    } finally {
      undeny();
    }
    assert.equal(withFlag.result.state.name, "Success", "a failed cleanup does not change the run's outcome");
    const error = withFlag.logs.find((l) => l.level === "error" && /removing the cluster's pods failed/.test(l.message));
    assert.ok(error, withFlag.logs.map((l) => l.message).join("\n"));
    assert.match(error.message, /forbidden.*\(reason: Forbidden, HTTP 403\)/);
    assert.equal(without.logs.filter((l) => /removing the cluster's pods failed/.test(l.message)).length, 0);
    for (const pod of kube.pods().filter((p) => [withFlag.flowRunId, without.flowRunId].includes(p.metadata.labels?.["sluice.io/flow-run-id"] ?? ""))) {
      kube.api.delete("pods", "default", pod.metadata.name!, {});
    }
  });
});
