/**
 * ClusterOnKubernetesEnvironment with real images: build() makes the flow's image (pushed to the local
 * registry) and returns a DockerEnvironment naming it; execute() starts the scheduler Job from that image
 * in namespace default, and the stand-in runs the scheduler and the worker pods as Docker containers.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../../src/config/schema.js";
import { DockerEnvironment } from "../../../../src/platforms/docker/index.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../../support/kube/index.js";
import { serviceSuite, services } from "../../../support/services.js";
import { dockerClusterFlow, environment } from "./fixtures/docker-cluster-flow.js";

await serviceSuite(["docker", "registry", "redis"], "ClusterOnKubernetesEnvironment in docker mode", () => {
  let kube: KubeStandin;
  let image: string | undefined;
  before(async () => {
    kube = await startKubeStandin({ runner: "docker" });
  });
  after(async () => {
    await kube?.close();
    if (image) {
      const { default: Docker } = await import("dockerode");
      await new Docker({ socketPath: services.dockerSocket })
        .getImage(image)
        .remove()
        .catch(() => undefined);
    }
  });

  it("build() returns a DockerEnvironment naming the image; the scheduler Job runs the flow on worker containers from it", { timeout: 900_000 }, async () => {
    const docker = await environment.build(dockerClusterFlow, true, { config: configSchema().parse({ docker: { baseImage: services.nodeImage } }) });
    assert.ok(docker instanceof DockerEnvironment);
    image = docker.image;
    assert.match(image!, new RegExp(`^${services.registry}/sluice-test-cluster-on-k8s:`));
    assert.equal(environment.image, image);

    const flowRunId = `cok-docker-${process.pid}`;
    const ofRun = (o: KubeObject): boolean => o.metadata.labels?.["sluice.io/flow-run-id"] === flowRunId;
    const config = configSchema().parse({ context: { namespace: "elsewhere" }, kubernetes: { kubeconfig: kube.kubeconfigPath } });
    await environment.execute(dockerClusterFlow, { flowRunId, config, logLevel: "silent" });
    const job = await kube.waitFor(() => {
      const j = kube.jobs("default").find(ofRun);
      return j && (j.status?.succeeded || j.status?.failed) ? j : undefined;
    }, 300_000);
    const scheduler = kube.pods("default").find((p) => ofRun(p) && p.metadata.labels?.["sluice.io/cluster-role"] === "scheduler")!;
    const logs = kube.logs(scheduler.metadata.name!);
    assert.equal(job.status.succeeded, 1, logs);
    assert.equal(job.spec.template.spec.containers[0].image, image);
    const workers = kube.received.filter((r) => r.verb === "create" && r.resource === "pods" && ofRun(r.body as KubeObject)).map((r) => r.body as KubeObject);
    assert.ok(workers.length >= 1 && workers.length <= 2, `1 to maxWorkers worker pods: ${workers.length}`);
    assert.ok(workers.every((w) => w.spec.containers[0].image === image));
    assert.match(logs, /CLUSTER-TOTAL 91/, "the total task ran in a worker and its log reached the run");
    await kube.waitFor(
      () =>
        kube
          .pods("default")
          .filter(ofRun)
          .every((p) => p.metadata.labels?.["sluice.io/cluster-role"] === "scheduler"),
      60_000,
    );
  });
});
