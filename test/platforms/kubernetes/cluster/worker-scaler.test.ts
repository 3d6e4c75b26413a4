/**
 * The scaler loop against the Kubernetes stand-in (process mode), with the queue load given by the test
 * and pods that run plain shell commands: it follows the load up and down, replaces worker pods that end
 * and fails the cluster with the reason when they keep ending, when none comes alive, or when Kubernetes
 * refuses it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../../src/config/schema.js";
import { ClusterApi } from "../../../../src/platforms/kubernetes/cluster/cluster-api.js";
import type { PodManifest } from "../../../../src/platforms/kubernetes/cluster/pod-spec.js";
import type { ClusterLoad } from "../../../../src/platforms/kubernetes/cluster/queue-load.js";
import { buildWorkerPod } from "../../../../src/platforms/kubernetes/cluster/worker-pod.js";
import { WorkerScaler, type ClusterLog, type WorkerScalerOptions } from "../../../../src/platforms/kubernetes/cluster/worker-scaler.js";
import { startKubeStandin, type KubeStandin } from "../../../support/kube/index.js";

describe("WorkerScaler on the Kubernetes stand-in", { timeout: 120_000 }, () => {
  let kube: KubeStandin;
  let api: ClusterApi;
  let runs = 0;
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    kube = await startKubeStandin({ runner: "process" });
    api = await ClusterApi.connect(configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath } }).kubernetes);
  });
  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    await kube?.close();
  });

  function scaler(shell: string, load: () => ClusterLoad, over: Partial<WorkerScalerOptions> = {}) {
    const flowRunId = `scaler-${process.pid}-${++runs}`;
    const messages: string[] = [];
    const log: ClusterLog = {
      info: (m) => messages.push(`info: ${m}`),
      k8sError: (m) => messages.push(`k8s: ${m}`),
      error: (m) => messages.push(`error: ${m}`),
    };
    const pod = (): PodManifest => {
      const p = buildWorkerPod({ image: "busybox", flowRunId, identifier: "id", namespace: "default", env: [], sluiceCommand: ["sluice"] });
      p.spec.containers[0]!.command = ["/bin/sh", "-c", shell];
      p.spec.containers[0]!.args = [];
      return p;
    };
    const s = new WorkerScaler({
      api,
      namespace: "default",
      flowRunId,
      settings: { minWorkers: 1, maxWorkers: 3, tasksPerWorker: 1, scaleDownDelayMs: 300 },
      intervalMs: 150,
      maxWorkerFailures: 3,
      workerStartTimeoutMs: 60_000,
      buildPod: pod,
      readLoad: async () => load(),
      log,
      ...over,
    });
    const workers = () => kube.pods().filter((p) => p.metadata.labels?.["sluice.io/flow-run-id"] === flowRunId && !p.metadata.deletionTimestamp);
    cleanups.push(() => api.deleteByLabel("default", `sluice.io/flow-run-id=${flowRunId}`));
    return { s, flowRunId, messages, workers };
  }

  it("follows the queue: up to max when tasks wait, back to min (idle workers only) when they are done", async () => {
    let load: ClusterLoad = { waiting: 0, active: 0, liveWorkers: [], busyWorkers: [] };
    const { s, workers, messages } = scaler("exec sleep 60", () => load);
    await s.start();
    try {
      assert.equal(workers().length, 1, "minWorkers at start");
      load = { waiting: 5, active: 0, liveWorkers: [], busyWorkers: [] };
      await kube.waitFor(() => workers().length === 3, 10_000);
      const names = workers().map((p) => p.metadata.name!);
      const busy = names[2]!;
      load = { waiting: 0, active: 1, liveWorkers: names, busyWorkers: [busy] };
      await kube.waitFor(() => workers().length === 1, 10_000);
      assert.deepEqual(
        workers().map((p) => p.metadata.name),
        [busy],
        "the busy worker is the one kept",
      );
      assert.equal(s.peak, 3);
      assert.ok(
        messages.some((m) => /scaling workers 1 → 3 \(5 waiting, 0 running\)/.test(m)),
        messages.join("\n"),
      );
      assert.equal(s.failed, undefined);
    } finally {
      await s.stop();
    }
  });

  it("replaces worker pods that end, and fails with the last one's reason and log when they keep ending", async () => {
    const { s, messages } = scaler("echo 'cannot reach the broker' >&2; exit 3", () => ({ waiting: 1, active: 0, liveWorkers: [], busyWorkers: [] }));
    await s.start();
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no failure: ${messages.join("\n")}`)), 60_000);
      });
      const error = await Promise.race([s.failure, timeout]).finally(() => clearTimeout(timer));
      assert.equal(error.code, "ENVIRONMENT_ERROR");
      assert.match(
        error.message,
        /^3 worker pods ended before the flow run did; the last: pod sluice-worker-scaler-\S+ failed: container worker terminated \(Error, exit code 3\); its last log lines: cannot reach the broker$/,
      );
      assert.equal(messages.filter((m) => m.startsWith("k8s: worker pod")).length, 3, "each ended pod is reported as a Kubernetes error");
      assert.ok(messages.some((m) => m.startsWith("error: the worker cluster failed")));
    } finally {
      await s.stop();
    }
  });

  it("fails when no worker comes alive while tasks wait", async () => {
    const { s } = scaler("exec sleep 60", () => ({ waiting: 2, active: 0, liveWorkers: [], busyWorkers: [] }), {
      workerStartTimeoutMs: 1000,
      settings: { minWorkers: 1, maxWorkers: 1, tasksPerWorker: 1, scaleDownDelayMs: 0 },
    });
    await s.start();
    try {
      const error = await s.failure;
      assert.match(error.message, /no worker came alive within 1000 ms while 2 task attempt\(s\) waited \(worker pods: sluice-worker-/);
    } finally {
      await s.stop();
    }
  });

  it("fails at once when Kubernetes refuses to create workers (RBAC)", async () => {
    const { s } = scaler("exec sleep 60", () => ({ waiting: 3, active: 0, liveWorkers: [], busyWorkers: [] }));
    await s.start();
    const undeny = kube.deny("create", "pods");
    try {
      const error = await s.failure;
      assert.match(
        error.message,
        /^the scheduler cannot manage its workers: creating pod sluice-worker-.* failed: .*forbidden.*\(reason: Forbidden, HTTP 403\)/,
      );
    } finally {
      undeny();
      await s.stop();
    }
  });
});
