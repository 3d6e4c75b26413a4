/**
 * The stand-in's kubelet in Docker mode: pods' containers run as real containers of their images
 * (node20-local:base here), on the host network, with secrets in env, real memory limits, and nothing
 * left behind by deletion or close().
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import Dockerode from "dockerode";
import { BatchV1Api, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { serviceSuite, services } from "../support/services.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../support/kube/index.js";

const image = services.nodeImage;

function nodeJob(name: string, script: string, container: Record<string, unknown> = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image, command: ["node", "-e", script], ...container }] } },
    },
  };
}

const failedOrComplete = (j: KubeObject | undefined) =>
  j?.status?.conditions?.find((c: { type: string; status: string }) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");

async function containerExists(docker: Dockerode, containerId: string): Promise<boolean> {
  try {
    await docker.getContainer(containerId.replace(/^docker:\/\//, "")).inspect();
    return true;
  } catch {
    return false;
  }
}

await serviceSuite(["docker"], "kube stand-in jobs (docker runner)", () => {
  let standin: KubeStandin;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  const docker = new Dockerode({ socketPath: services.dockerSocket });
  const ns = "default";
  const podsOf = (name: string) => standin.pods(ns).filter((p) => p.metadata.labels?.["job-name"] === name);
  const finished = (name: string, ms = 20_000) => standin.waitFor(() => failedOrComplete(standin.jobs(ns).find((j) => j.metadata.name === name)), ms);

  before(async () => {
    standin = await startKubeStandin({ runner: "docker", dockerSocket: services.dockerSocket });
    assert.equal(standin.runner, "docker");
    batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    core = standin.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => standin.close());

  it("runs a Job in a container of its image, with secret env, reaching the stand-in over the host network", { timeout: 30_000 }, async () => {
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "creds" }, stringData: { password: "hunter2" } } });
    const script = [
      "console.log('hi');",
      "console.log('password=' + process.env.PASSWORD + ' cwd=' + process.cwd());",
      "const server = /server: (\\S+)/.exec(require('fs').readFileSync(process.env.KUBECONFIG, 'utf8'))[1];",
      "fetch(server + '/api/v1/namespaces/default/pods/' + process.env.HOSTNAME).then(r => r.json()).then(p => console.log('self=' + p.status.phase));",
    ].join(" ");
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("docker-hello", script, { env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } }] }),
    });
    const cond = await finished("docker-hello");
    assert.equal(cond.type, "Complete", JSON.stringify(podsOf("docker-hello").map((p) => p.status)));
    const pod = podsOf("docker-hello")[0]!;
    assert.equal(pod.status.phase, "Succeeded");
    const cs = pod.status.containerStatuses[0];
    assert.match(cs.containerID, /^docker:\/\/[0-9a-f]{64}$/);
    assert.match(cs.imageID, /sha256:/);
    const logs = await core.readNamespacedPodLog({ name: pod.metadata.name!, namespace: ns });
    assert.match(logs, /^hi$/m);
    assert.match(logs, /password=hunter2 cwd=\/app/);
    assert.match(logs, /self=Running/);
    assert.equal(await containerExists(docker, cs.containerID), false, "finished containers are removed");
  });

  it("reports an image that is neither local nor pullable as ErrImagePull then ImagePullBackOff", { timeout: 20_000 }, async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("docker-noimage", "1", { image: "kube-standin-missing-image:nope" }) });
    const seen = new Set<string>();
    await standin.waitFor(() => {
      const w = podsOf("docker-noimage")[0]?.status?.containerStatuses?.[0]?.state?.waiting;
      if (w) seen.add(w.reason);
      return seen.has("ErrImagePull") && seen.has("ImagePullBackOff");
    });
    const pod = podsOf("docker-noimage")[0]!;
    assert.equal(pod.status.phase, "Pending");
    const events = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata.name}` })).items;
    assert.ok(events.some((e) => e.type === "Warning" && e.reason === "Failed" && /docker\.io\/library\/kube-standin-missing-image:nope/.test(e.message!)));
    await batch.deleteNamespacedJob({ name: "docker-noimage", namespace: ns, propagationPolicy: "Background" });
  });

  it("applies resources.limits.memory: a container that outgrows it is OOMKilled (137)", { timeout: 30_000 }, async () => {
    const grow = "const a = []; setInterval(() => { a.push(Buffer.alloc(16 * 1024 * 1024, 1)); }, 20);";
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("docker-oom", grow, { resources: { limits: { memory: "64Mi" } } }) });
    const cond = await finished("docker-oom");
    assert.equal(cond.type, "Failed");
    const term = podsOf("docker-oom")[0]!.status.containerStatuses[0].state.terminated;
    assert.equal(term.reason, "OOMKilled");
    assert.equal(term.exitCode, 137);
  });

  it("deletes a Job with Foreground propagation: its pod's container is stopped and removed", { timeout: 30_000 }, async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("docker-long", "setInterval(() => {}, 1000)") });
    const pod = await standin.waitFor(() => podsOf("docker-long").find((p) => p.status?.phase === "Running"));
    const id = pod.status.containerStatuses[0].containerID as string;
    assert.equal(await containerExists(docker, id), true);
    await batch.deleteNamespacedJob({ name: "docker-long", namespace: ns, propagationPolicy: "Foreground" });
    await standin.waitFor(() => !standin.jobs(ns).some((j) => j.metadata.name === "docker-long"));
    assert.equal(podsOf("docker-long").length, 0);
    assert.equal(await containerExists(docker, id), false);
  });

  it("close() leaves no container behind", { timeout: 30_000 }, async () => {
    const other = await startKubeStandin({ runner: "docker", dockerSocket: services.dockerSocket });
    const otherBatch = other.kubeConfig.makeApiClient(BatchV1Api);
    await otherBatch.createNamespacedJob({ namespace: "default", body: nodeJob("left-running", "setInterval(() => {}, 1000)") });
    const pod = await other.waitFor(() => other.pods().find((p) => p.status?.phase === "Running"));
    const id = pod.status.containerStatuses[0].containerID as string;
    await other.close();
    assert.equal(await containerExists(docker, id), false);
    const labelled = await docker.listContainers({ all: true, filters: { label: [`io.kubernetes.pod.name=${pod.metadata.name}`] } });
    assert.deepEqual(labelled, []);
  });
});

await serviceSuite(["docker", "registry"], "kube stand-in image pulls from the local registry", () => {
  const docker = new Dockerode({ socketPath: services.dockerSocket });
  const pushed = `${services.registry}/kube-standin/node:pull-test`;
  let standin: KubeStandin;

  before(async () => {
    await docker.getImage(image).tag({ repo: pushed.replace(/:pull-test$/, ""), tag: "pull-test" });
    const stream = await docker.getImage(pushed).push({ authconfig: { serveraddress: services.registry } });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())));
    await docker.getImage(pushed).remove();
    standin = await startKubeStandin({ runner: "docker", dockerSocket: services.dockerSocket, registry: services.registry });
  });
  after(async () => {
    await standin.close();
    await docker
      .getImage(pushed)
      .remove()
      .catch(() => undefined);
  });

  it("pulls a registry image that is not local, then runs it", { timeout: 60_000 }, async () => {
    const batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    const body = nodeJob("pulled", "console.log('from registry')", { image: pushed });
    await batch.createNamespacedJob({ namespace: "default", body });
    const cond = await standin.waitFor(() => failedOrComplete(standin.jobs().find((j) => j.metadata.name === "pulled")), 45_000);
    assert.equal(cond.type, "Complete");
    const pod = standin.pods().find((p) => p.metadata.labels?.["job-name"] === "pulled")!;
    assert.match(standin.logs(pod.metadata.name!), /from registry/);
    const reasons = standin
      .events()
      .filter((e) => e.involvedObject.name === pod.metadata.name)
      .map((e) => `${e.reason}: ${e.message}`);
    assert.ok(
      reasons.some((r) => r.startsWith(`Pulled: Successfully pulled image "${pushed}"`)),
      reasons.join("\n"),
    );
  });
});
