/**
 * How a worker cluster is taken down at the end of a run, against real Redis and the Kubernetes stand-in
 * (process mode; the test process is the scheduler). The workers go first and stop on their own
 * (exit 0, within the grace period); the ephemeral broker goes only after them, so no worker is left
 * waiting on a broker that is gone until the kubelet kills it (exit 137).
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import { createLogger } from "../../../../src/core/logger.js";
import { DEFAULT_BROKER_IMAGE } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { KubernetesClusterEnvironment } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../../support/kube/index.js";
import { freePort } from "../../../support/distributed-redis-server.js";
import { serviceSuite } from "../../../support/services.js";
import { IMAGE, sluiceCommand } from "./fixtures/cluster-flow.js";
import { teardownFlow } from "./fixtures/teardown-flow.js";

const RUN_LABEL = "sluice.io/flow-run-id";
const ROLE_LABEL = "sluice.io/cluster-role";

interface Ending {
  exitCode: number;
  reason: string;
  finishedAt: number;
}

await serviceSuite(["redis"], "worker-cluster teardown on the Kubernetes stand-in", () => {
  let kube: KubeStandin;
  let config: SluiceConfig;

  before(async () => {
    // A grace period long enough that a worker hanging on its broker is told apart from one that stops.
    kube = await startKubeStandin({ runner: "process", knownImages: [IMAGE, DEFAULT_BROKER_IMAGE], timings: { maxGracePeriodMs: 8_000 } });
    config = configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath }, logging: { level: "warn" } });
  });
  after(async () => {
    await kube?.close();
  });

  it("stops the workers before the ephemeral broker, and every worker exits 0", { timeout: 120_000 }, async () => {
    const port = await freePort();
    const flowRunId = `run-t${port}-${process.pid}`;
    const env = new KubernetesClusterEnvironment({
      metadata: { image: IMAGE },
      sluiceCommand,
      minWorkers: 2,
      maxWorkers: 2,
      scaleIntervalMs: 400,
      ephemeralBroker: { address: "pod-ip", port, startTimeoutMs: 30_000 },
    });
    // Every state each pod of the run goes through, recorded on every change of the stand-in's store.
    const endings = new Map<string, { role: string; ending?: Ending; deletedAt?: number }>();
    const ofRun = (o: KubeObject): boolean => o.metadata.labels?.[RUN_LABEL] === flowRunId;
    let recording = true;
    const recorder = kube.waitFor(() => {
      for (const pod of kube.pods().filter(ofRun)) {
        const name = pod.metadata.name!;
        const seen = endings.get(name) ?? { role: pod.metadata.labels?.[ROLE_LABEL] ?? "?" };
        if (pod.metadata.deletionTimestamp && seen.deletedAt === undefined) seen.deletedAt = Date.now();
        const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
        if (terminated && !seen.ending) seen.ending = { exitCode: terminated.exitCode, reason: terminated.reason, finishedAt: Date.now() };
        endings.set(name, seen);
      }
      return !recording;
    }, 110_000);

    try {
      const result = await env.run(teardownFlow, { config, flowRunId, parameters: { n: 20 }, logger: createLogger({ level: "silent" }) });
      assert.equal(result.state.name, "Success", result.state.message);
      assert.equal(result.taskRun("second")?.state.name, "Success");
      await kube.waitFor(() => kube.pods().every((p) => !ofRun(p)), 30_000);
    } finally {
      recording = false;
      await recorder;
    }

    const workers = [...endings].filter(([, e]) => e.role === "worker");
    const broker = [...endings].filter(([, e]) => e.role === "broker");
    assert.equal(workers.length, 2, `two worker pods: ${JSON.stringify([...endings])}`);
    assert.equal(broker.length, 1, "one broker pod");
    for (const [name, seen] of workers) {
      assert.ok(seen.ending, `worker ${name} was seen terminated`);
      assert.equal(
        seen.ending.exitCode,
        0,
        `worker ${name} stopped by itself on SIGTERM (exit 0), not killed at the end of its grace: ${JSON.stringify(seen)}`,
      );
    }
    const [, brokerSeen] = broker[0]!;
    assert.ok(brokerSeen.deletedAt !== undefined, "the broker pod was deleted");
    for (const [name, seen] of workers) {
      assert.ok(seen.ending!.finishedAt <= brokerSeen.deletedAt, `worker ${name} had stopped before the broker was deleted`);
    }
  });
});
