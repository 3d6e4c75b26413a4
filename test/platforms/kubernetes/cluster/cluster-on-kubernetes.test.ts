/**
 * ClusterOnKubernetesEnvironment (the 2019 form) against real Redis and the Kubernetes stand-in (process
 * mode): setup does nothing; execute() creates one scheduler Job in namespace default (whatever the run's
 * namespace), labelled with a fresh identifier; the Job runs the flow on 1 to maxWorkers workers and
 * removes them. (build() is DockerOnKubernetesEnvironment's; test/platforms/kubernetes/cluster/docker-mode.test.ts builds one.)
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema } from "../../../../src/config/schema.js";
import type { SluiceError } from "../../../../src/core/errors.js";
import { DEFAULT_BROKER_IMAGE } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { ClusterOnKubernetesEnvironment } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../../support/kube/index.js";
import { serviceSuite } from "../../../support/services.js";
import { IMAGE, twenty19Flow } from "./fixtures/cluster-flow.js";

const port = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port: p } = server.address() as AddressInfo;
      server.close(() => resolve(p));
    });
  });

await serviceSuite(["redis"], "ClusterOnKubernetesEnvironment on the Kubernetes stand-in (process mode)", () => {
  let kube: KubeStandin;
  let outDir: string;
  before(async () => {
    kube = await startKubeStandin({ runner: "process", namespaces: ["team-a"], knownImages: [IMAGE, DEFAULT_BROKER_IMAGE] });
    outDir = mkdtempSync(join(tmpdir(), "sluice-cok-"));
  });
  after(async () => {
    await kube?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it("runs the flow from one scheduler Job in namespace default on 1 to maxWorkers workers, then removes them", { timeout: 180_000 }, async () => {
    const environment = twenty19Flow.environment as ClusterOnKubernetesEnvironment;
    await environment.setup(twenty19Flow);
    assert.equal(kube.received.length, 0, "setup does nothing");
    const flowRunId = `run-p${await port()}-${randomBytes(3).toString("hex")}`;
    const ofRun = (o: KubeObject): boolean => o.metadata.labels?.["sluice.io/flow-run-id"] === flowRunId;
    const config = configSchema().parse({ context: { namespace: "team-a" }, kubernetes: { kubeconfig: kube.kubeconfigPath } });
    const result = await environment.execute(twenty19Flow, { flowRunId, config, parameters: { outDir, n: 8, ms: 3000, tailMs: 100 }, logLevel: "silent" });
    assert.equal(result.kind === "launched" && result.description, `created Job sluice-cluster-job-${flowRunId} in namespace default`);
    const create = kube.received.find((r) => r.verb === "create" && r.resource === "jobs")!;
    assert.equal(create.namespace, "default");
    assert.match((create.body as KubeObject).metadata.labels?.["sluice.io/identifier"] ?? "", /^[0-9a-f-]{36}$/);
    assert.equal((create.body as KubeObject).metadata.labels?.["sluice.io/created-by"], "cluster-on-kubernetes");

    let peak = 0;
    const sampler = setInterval(() => {
      const n = kube
        .pods("default")
        .filter((p) => ofRun(p) && p.metadata.labels?.["sluice.io/cluster-role"] === "worker" && !p.metadata.deletionTimestamp).length;
      peak = Math.max(peak, n);
    }, 100);
    try {
      const job = await kube.waitFor(() => {
        const j = kube.jobs("default").find(ofRun);
        return j && (j.status?.succeeded || j.status?.failed) ? j : undefined;
      }, 150_000);
      const scheduler = kube.pods("default").find((p) => ofRun(p) && p.metadata.labels?.["sluice.io/cluster-role"] === "scheduler")!;
      assert.equal(job.status.succeeded, 1, kube.logs(scheduler.metadata.name!));
    } finally {
      clearInterval(sampler);
    }
    assert.equal(peak, 2, "scaled from 1 to maxWorkers (2)");
    assert.equal(readdirSync(outDir).length, 9);
    assert.equal(kube.jobs("team-a").length + kube.pods("team-a").length, 0, "nothing in the run's own namespace");
    await kube.waitFor(
      () =>
        kube
          .pods("default")
          .filter(ofRun)
          .every((p) => p.metadata.labels?.["sluice.io/cluster-role"] === "scheduler"),
      30_000,
    );
  });

  it("without an image (no build, no metadata.image) fails before any call", async () => {
    const environment = new ClusterOnKubernetesEnvironment();
    const before = kube.received.length;
    await assert.rejects(
      environment.execute(twenty19Flow, {
        flowRunId: "no-image",
        config: configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath } }),
        logLevel: "silent",
      }),
      (e: SluiceError) => e.field === "metadata.image",
    );
    assert.equal(kube.received.length, before);
  });
});
