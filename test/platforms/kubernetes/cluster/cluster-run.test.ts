/**
 * KubernetesClusterEnvironment end to end, against real Redis and the Kubernetes stand-in (process mode):
 * `execute()` creates the scheduler Job; the stand-in runs its container (this repository's CLI), which
 * loads the flow and calls `run()`: the broker, the worker pods (`sluice worker` processes), scaling,
 * and the cleanup. The tests watch the pods the stand-in holds.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchV1Api } from "@kubernetes/client-node";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import type { AnyFlow } from "../../../../src/core/flow.js";
import type { KubernetesClusterEnvironment } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { DEFAULT_BROKER_IMAGE } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../../support/kube/index.js";
import { serviceSuite } from "../../../support/services.js";
import { customSpecFlow, IMAGE, scalingFlow } from "./fixtures/cluster-flow.js";

const RUN_LABEL = "sluice.io/flow-run-id";
const ROLE_LABEL = "sluice.io/cluster-role";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

await serviceSuite(["redis"], "KubernetesClusterEnvironment on the Kubernetes stand-in (process mode)", () => {
  let kube: KubeStandin;
  let config: SluiceConfig;
  const dirs: string[] = [];

  before(async () => {
    kube = await startKubeStandin({ runner: "process", knownImages: [IMAGE, DEFAULT_BROKER_IMAGE] });
    config = configSchema().parse({ api: { url: "http://127.0.0.1:9" }, kubernetes: { kubeconfig: kube.kubeconfigPath }, logging: { level: "info" } });
  });
  after(async () => {
    await kube?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const ofRun = (flowRunId: string, o: KubeObject): boolean => o.metadata.labels?.[RUN_LABEL] === flowRunId;
  const podsOf = (flowRunId: string, role: string) => kube.pods().filter((p) => ofRun(flowRunId, p) && p.metadata.labels?.[ROLE_LABEL] === role);
  const alive = (p: KubeObject): boolean => !p.metadata.deletionTimestamp && (p.status?.phase === "Pending" || p.status?.phase === "Running");
  const schedulerLog = (flowRunId: string): string =>
    podsOf(flowRunId, "scheduler")
      .map((p) => kube.logs(p.metadata.name!))
      .join("\n");

  /** Launches the flow's scheduler Job; resolves with the run id and a fresh output directory. */
  async function launch(flow: AnyFlow, params: Record<string, unknown>): Promise<{ flowRunId: string; outDir: string }> {
    const flowRunId = `run-p${await freePort()}-${randomBytes(3).toString("hex")}`;
    const outDir = mkdtempSync(join(tmpdir(), "sluice-cluster-"));
    dirs.push(outDir);
    const result = await (flow.environment as KubernetesClusterEnvironment).execute(flow, {
      flowRunId,
      config,
      parameters: { outDir, ...params },
      logLevel: "silent",
    });
    assert.equal(result.kind, "launched");
    assert.equal(result.kind === "launched" && result.resources.job, `sluice-cluster-job-${flowRunId}`);
    return { flowRunId, outDir };
  }

  const finished = (flowRunId: string, timeoutMs: number) =>
    kube.waitFor(() => {
      const job = kube.jobs().find((j) => ofRun(flowRunId, j));
      return job && (job.status?.succeeded || job.status?.failed) ? job : undefined;
    }, timeoutMs);

  /** Every worker and broker pod, Service and Secret of the run is gone. */
  const clusterGone = (flowRunId: string, timeoutMs = 30_000) =>
    kube.waitFor(
      () =>
        ["pods", "services", "secrets"].every((resource) =>
          kube
            .objects(resource)
            .every((o) => !ofRun(flowRunId, o) || o.metadata.labels?.[ROLE_LABEL] === "scheduler" || o.metadata.labels?.[ROLE_LABEL] === undefined),
        ),
      timeoutMs,
    );

  it("scales from 1 toward 3 workers under a queue of slow tasks and back, and leaves no pod behind", { timeout: 240_000 }, async () => {
    const counts: number[] = [];
    let flowRunId = "";
    const sampler = setInterval(() => {
      if (flowRunId) counts.push(podsOf(flowRunId, "worker").filter(alive).length);
    }, 100);
    try {
      const launched = await launch(scalingFlow, { n: 12, ms: 4000, tailMs: 8000 });
      flowRunId = launched.flowRunId;
      const job = await finished(flowRunId, 200_000);
      assert.equal(job.status.succeeded, 1, `the scheduler Job succeeded; its log:\n${schedulerLog(flowRunId)}`);
      await clusterGone(flowRunId);

      const peak = Math.max(...counts);
      assert.equal(peak, 3, `worker pods over time: ${counts.join(",")}`);
      const atPeak = counts.indexOf(peak);
      const lastBefore = counts.slice(atPeak).findIndex((c) => c === 1);
      assert.ok(lastBefore > 0, `after the batch the cluster scaled back to 1 worker before the end: ${counts.join(",")}`);

      const files = readdirSync(launched.outDir);
      assert.equal(files.filter((f) => f.startsWith("slow-")).length, 12);
      const pods = new Set(files.map((f) => (JSON.parse(readFileSync(join(launched.outDir, f), "utf8")) as { pod: string }).pod));
      assert.ok(pods.size >= 2, `tasks ran on several worker pods: ${[...pods].join(", ")}`);
      for (const pod of pods) assert.match(pod, new RegExp(`^sluice-worker-${flowRunId}-[a-z0-9]{5}$`));

      // The ephemeral broker: its own pod and Service, its password only in a Secret.
      const created = kube.received.filter((r) => r.verb === "create" && r.code < 300 && r.body && ofRun(flowRunId, r.body as KubeObject));
      const brokerPod = created.find((r) => r.resource === "pods" && (r.body as KubeObject).metadata.labels?.[ROLE_LABEL] === "broker");
      assert.ok(brokerPod, "a broker pod was created");
      assert.ok(
        created.some((r) => r.resource === "services"),
        "and its Service",
      );
      const secret = created.find((r) => r.resource === "secrets")?.body as KubeObject;
      const password = secret.stringData["redis-password"] as string;
      assert.match(password, /^[A-Za-z0-9_-]{32}$/);
      for (const r of created.filter((c) => c.resource === "pods" || c.resource === "jobs"))
        assert.ok(!JSON.stringify(r.body).includes(password), `no manifest holds the password (${r.resource})`);
      for (const r of created.filter((c) => c.resource === "pods" && (c.body as KubeObject).metadata.labels?.[ROLE_LABEL] === "worker")) {
        const owners = (r.body as KubeObject).metadata.ownerReferences;
        assert.deepEqual(
          owners?.map((o: { kind: string; name: string }) => `${o.kind}/${o.name}`),
          [`Job/sluice-cluster-job-${flowRunId}`],
          "workers are owned by the scheduler Job",
        );
      }
      const log = schedulerLog(flowRunId);
      assert.match(log, /cluster: scaling workers 1 → 3/, "schedulerLogs adds the scheduler's messages to the run's logs");
      assert.match(log, /cluster: removed idle worker pod/);
    } finally {
      clearInterval(sampler);
    }
  });

  it("honours custom scheduler and worker specs", { timeout: 180_000 }, async () => {
    const { flowRunId, outDir } = await launch(customSpecFlow, { n: 2, ms: 100, tailMs: 100 });
    const job = await finished(flowRunId, 150_000);
    assert.equal(job.status.succeeded, 1, `the scheduler Job succeeded; its log:\n${schedulerLog(flowRunId)}`);
    const jobBody = kube.received.find((r) => r.verb === "create" && r.resource === "jobs" && ofRun(flowRunId, r.body as KubeObject))!.body as KubeObject;
    assert.equal(jobBody.metadata.labels?.team, "data");
    const scheduler = jobBody.spec.template.spec;
    assert.equal(scheduler.serviceAccountName, "sluice-scheduler");
    assert.equal(scheduler.imagePullSecrets, undefined, "imagePullSecret is not added to a custom scheduler spec");
    assert.equal(scheduler.containers[0].name, "scheduler");
    assert.equal(scheduler.containers[0].env.find((e: { name: string }) => e.name === "SLUICE__EXECUTOR__WORK_STEALING").value, "false");

    const workers = kube.received.filter(
      (r) =>
        r.verb === "create" &&
        r.resource === "pods" &&
        ofRun(flowRunId, r.body as KubeObject) &&
        (r.body as KubeObject).metadata.labels?.[ROLE_LABEL] === "worker",
    );
    assert.ok(workers.length >= 1);
    const worker = workers[0]!.body as KubeObject;
    assert.equal(worker.metadata.labels?.team, "data");
    assert.equal(worker.spec.imagePullSecrets, undefined, "nor to a custom worker spec");
    assert.equal(worker.spec.containers[0].name, "my-worker");
    assert.deepEqual(worker.spec.containers[0].resources, { requests: { cpu: "500m" } });
    const broker = kube.received.find(
      (r) =>
        r.verb === "create" &&
        r.resource === "pods" &&
        ofRun(flowRunId, r.body as KubeObject) &&
        (r.body as KubeObject).metadata.labels?.[ROLE_LABEL] === "broker",
    )!.body as KubeObject;
    assert.deepEqual(broker.spec.imagePullSecrets, [{ name: "regcred" }], "the default broker pod gets imagePullSecret");

    const seen = readdirSync(outDir).map((f) => JSON.parse(readFileSync(join(outDir, f), "utf8")) as { custom: string | null });
    assert.equal(seen.length, 3);
    assert.ok(
      seen.every((s) => s.custom === "yes"),
      "tasks ran in workers made from the custom spec",
    );
    await clusterGone(flowRunId);
  });

  it("when the scheduler crashes, Kubernetes removes its workers and broker with the scheduler Job (ownerReferences)", { timeout: 180_000 }, async () => {
    const { flowRunId } = await launch(scalingFlow, { n: 4, ms: 60_000, tailMs: 10 });
    await kube.waitFor(
      () => podsOf(flowRunId, "worker").some((p) => p.status?.phase === "Running") && kube.objects("services").some((s) => ofRun(flowRunId, s)),
      120_000,
    );
    const [schedulerPod] = podsOf(flowRunId, "scheduler");
    await kube.oomKill(schedulerPod!.metadata.name!);
    await finished(flowRunId, 30_000);
    const left = (resource: string) => kube.objects(resource).filter((o) => ofRun(flowRunId, o) && o.metadata.labels?.[ROLE_LABEL] !== "scheduler");
    assert.ok(podsOf(flowRunId, "worker").filter(alive).length >= 1, "the crashed scheduler could not remove its workers");
    assert.equal(podsOf(flowRunId, "broker").filter(alive).length, 1, "nor its broker");
    assert.equal(left("services").length, 1);
    assert.equal(left("secrets").length, 1);
    const batch = kube.kubeConfig.makeApiClient(BatchV1Api);
    await batch.deleteNamespacedJob({ name: `sluice-cluster-job-${flowRunId}`, namespace: "default", propagationPolicy: "Background" });
    await kube.waitFor(() => kube.pods().every((p) => !ofRun(flowRunId, p)) && left("services").length === 0 && left("secrets").length === 0, 30_000);
  });
});
