/**
 * The Kubernetes environments and agent with real images: the stand-in runs pods as Docker containers
 * (host network) of images built by DockerStorage (the seeds' example as written: its job spec goes into
 * the image at the path it was read from, because its environment declares it) and by
 * DockerOnKubernetesEnvironment.build().
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "../../../src/agents/agent.js";
import { createKubernetesDeployer } from "../../../src/platforms/kubernetes/kubernetes-agent.js";
import { registrationOf } from "../../../src/cli/commands/register.js";
import { configSchema } from "../../../src/config/schema.js";
import { createLogger } from "../../../src/core/logger.js";
import type { Storage } from "../../../src/core/storage.js";
import { DockerEnvironment } from "../../../src/platforms/docker/index.js";
import { DockerOnKubernetesEnvironment, type KubernetesJobEnvironment } from "../../../src/platforms/kubernetes/index.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { allTaskRuns } from "../../../src/deployment/flow-run-entry.js";
import { testConfig, waitForRun } from "../../agents/support.js";
import { sqliteTarget, startTestServer } from "../../server/support.js";
import { serviceSuite, services } from "../../support/services.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../support/kube/index.js";
import { k8sJobFlow } from "../../../examples/kubernetes/flow.js";
import { plainFlow } from "./fixtures/plain-flow.js";

const buildConfig = configSchema().parse({ docker: { baseImage: services.nodeImage } });
const EXAMPLE_IMAGE = "127.0.0.1:5000/k8s-job-flow:0.1.0";

async function finished(kube: KubeStandin, flowRunId: string, timeoutMs: number, createdBy?: string): Promise<{ job: KubeObject; logs: string }> {
  const mine = (o: KubeObject): boolean =>
    o.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId && (createdBy === undefined || o.metadata.labels?.[CREATED_BY_LABEL] === createdBy);
  const job = await kube.waitFor(() => {
    const j = kube.jobs("default").find(mine);
    return j && (j.status?.succeeded || j.status?.failed) ? j : undefined;
  }, timeoutMs);
  const pod = kube.pods("default").find(mine);
  return { job, logs: pod ? kube.logs(pod.metadata.name!) : "(no pod)" };
}

await serviceSuite(["docker", "registry"], "Kubernetes environments and agent in docker mode", () => {
  let kube: KubeStandin;
  const built: string[] = [];
  before(
    async () => {
      kube = await startKubeStandin({ runner: "docker" });
      // The seeds' example, built and pushed as written (its base image replaced by the local one). Its storage
      // names no files: the job spec goes into the image because the flow's environment declares it.
      const storage = k8sJobFlow.storage as Storage & { image?: string; options?: { files: Record<string, string> } };
      assert.deepEqual(storage.options?.files, {});
      assert.deepEqual((k8sJobFlow.environment as KubernetesJobEnvironment).imageFiles, [
        fileURLToPath(new URL("../../../examples/kubernetes/job_spec.yaml", import.meta.url)),
      ]);
      storage.addFlow(k8sJobFlow);
      await storage.build({ config: buildConfig });
      assert.equal(storage.image, EXAMPLE_IMAGE);
      built.push(EXAMPLE_IMAGE);
    },
    { timeout: 600_000 },
  );
  after(async () => {
    await kube?.close();
    const { default: Docker } = await import("dockerode");
    const docker = new Docker({ socketPath: services.dockerSocket });
    for (const image of built)
      await docker
        .getImage(image)
        .remove()
        .catch(() => undefined);
  });

  it(
    "the seeds' example: KubernetesJobEnvironment.execute() runs the flow in a Job of the image, its job spec read inside the image",
    { timeout: 300_000 },
    async () => {
      const environment = k8sJobFlow.environment as KubernetesJobEnvironment;
      const flowRunId = `seeds-docker-${process.pid}`;
      const result = await environment.execute(k8sJobFlow, {
        flowRunId,
        config: configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath } }),
        logLevel: "silent",
      });
      assert.equal(result.kind, "launched");
      const { job, logs } = await finished(kube, flowRunId, 120_000);
      assert.equal(job.status.succeeded, 1, logs);
      assert.match(logs, /Example!/);
      const container = job.spec.template.spec.containers[0];
      assert.equal(container.image, EXAMPLE_IMAGE);
      assert.deepEqual(container.resources, { limits: { cpu: "2", memory: "4G" }, requests: { cpu: "1", memory: "2G" } });
    },
  );

  it(
    "server + Kubernetes agent + the seeds' example: stage A and stage B run in containers of the image, the run ends Success",
    { timeout: 300_000 },
    async () => {
      const target = sqliteTarget();
      const home = await mkdtemp(join(tmpdir(), "sluice-k8s-docker-"));
      const server = await startTestServer(target, { home });
      const config = testConfig(server.server.url, home, {
        SLUICE__AGENT__NAME: "k8s-docker-agent",
        SLUICE__AGENT__LABELS: "k8s-docker",
        SLUICE__KUBERNETES__KUBECONFIG: kube.kubeconfigPath,
        SLUICE__LOGGING__LEVEL: "info",
      });
      const agent = new Agent({
        deployer: await createKubernetesDeployer({ config, logger: createLogger({ level: "silent" }) }),
        client: server.client,
        config,
        logger: createLogger({ level: "silent" }),
      });
      try {
        await agent.start();
        const { flowId } = await server.client.registerFlow(registrationOf(k8sJobFlow, k8sJobFlow.storage as Storage, ["k8s-docker"]));
        const run = await server.client.createFlowRun({ flowId });
        const done = await waitForRun(server.client, run.id, undefined, 240_000);
        const messages = (await server.client.readLogs(run.id)).items.map((l) => `${l.level} ${l.message}`);
        assert.equal(done.state.name, "Success", `${done.state.message}\n${messages.join("\n")}`);
        const taskRuns = await allTaskRuns(server.client, run.id);
        assert.equal(taskRuns.find((t) => t.taskKey === "output_value")?.state.result, "Example!");
        const creates = kube.received.filter(
          (r) => r.verb === "create" && r.resource === "jobs" && (r.body as KubeObject).metadata.labels?.[FLOW_RUN_ID_LABEL] === run.id,
        );
        assert.equal(creates.length, 2, "stage A (agent) and stage B (environment)");
        const stageB = (creates[1]!.body as KubeObject).spec.template.spec.containers[0];
        assert.equal(stageB.image, EXAMPLE_IMAGE);
        assert.deepEqual(stageB.resources, { limits: { cpu: "2", memory: "4G" }, requests: { cpu: "1", memory: "2G" } });
        assert.ok(stageB.env.some((e: { name: string; value?: string }) => e.name === "MY_ENV" && e.value === "foo"));
        await kube.waitFor(() => kube.jobs().every((j) => j.metadata.labels?.[FLOW_RUN_ID_LABEL] !== run.id), 60_000);
      } finally {
        await agent.stop({ stopRuns: true });
        await server.close();
        await target.cleanup();
        await rm(home, { recursive: true, force: true });
      }
    },
  );

  it("DockerOnKubernetesEnvironment.build() returns a DockerEnvironment naming the image; execute() runs it in a Job", { timeout: 600_000 }, async () => {
    const environment = new DockerOnKubernetesEnvironment({
      baseImage: services.nodeImage,
      registryUrl: services.registry,
      imageName: "sluice-test-dok",
      imageTag: `t${process.pid}`,
    });
    const docker = await environment.build(plainFlow, true, { config: buildConfig });
    assert.ok(docker instanceof DockerEnvironment);
    assert.equal(docker.image, `${services.registry}/sluice-test-dok:t${process.pid}`);
    assert.equal(environment.image, docker.image);
    built.push(docker.image!);
    const flowRunId = `dok-docker-${process.pid}`;
    await environment.execute(plainFlow, { flowRunId, config: configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath } }), logLevel: "silent" });
    const { job, logs } = await finished(kube, flowRunId, 120_000);
    assert.equal(job.status.succeeded, 1, logs);
    assert.match(logs, /PLAIN-FLOW-OUTPUT Example!/);
  });
});
