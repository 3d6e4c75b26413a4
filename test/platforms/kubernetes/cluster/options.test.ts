/** KubernetesClusterEnvironment and ClusterOnKubernetesEnvironment: options, serialization, the scheduler Job (no cluster needed). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { configSchema } from "../../../../src/config/schema.js";
import { deserializeEnvironment } from "../../../../src/core/environment.js";
import { SluiceError } from "../../../../src/core/errors.js";
import { ClusterOnKubernetesEnvironment, KubernetesClusterEnvironment } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { createEnvironment, kindOfType } from "../../../../src/platforms/environment-registry.js";
import { ConcurrentExecutor } from "../../../../src/executors/concurrent/index.js";
import { customSpecFlow, IMAGE, scalingFlow } from "./fixtures/cluster-flow.js";

const SCHEDULER_SPEC = new URL("./fixtures/scheduler_job.yaml", import.meta.url);
const WORKER_SPEC = new URL("./fixtures/worker_pod.yaml", import.meta.url);
const config = configSchema().parse({ api: { url: "http://127.0.0.1:9", key: "k" }, context: { namespace: "team-a" } });

describe("KubernetesClusterEnvironment options", () => {
  it("has the seeds' defaults", () => {
    const env = new KubernetesClusterEnvironment();
    assert.deepEqual(
      [env.minWorkers, env.maxWorkers, env.workStealing, env.schedulerLogs, env.logK8sErrors, env.privateRegistry],
      [1, 2, true, false, false, false],
    );
    assert.equal(env.dockerSecret, "DOCKER_REGISTRY_CREDENTIALS");
    assert.deepEqual(env.imagePullSecrets, []);
  });

  it("serializes minWorkers, maxWorkers and workStealing only: never specs, paths, the broker or secrets", () => {
    const env = new KubernetesClusterEnvironment({
      minWorkers: 2,
      maxWorkers: 5,
      workStealing: false,
      labels: ["k8s", "big"],
      metadata: { image: IMAGE },
      schedulerSpecFile: SCHEDULER_SPEC,
      workerSpecFile: WORKER_SPEC,
      broker: "rediss://:hunter2@redis.example:6380",
      imagePullSecret: "regcred",
    });
    const serialized = env.serialize();
    assert.deepEqual(
      { ...serialized, version: "x" },
      {
        type: "KubernetesClusterEnvironment",
        version: "x",
        labels: ["big", "k8s"],
        metadata: { image: IMAGE },
        minWorkers: 2,
        maxWorkers: 5,
        workStealing: false,
      },
    );
    const text = JSON.stringify(serialized);
    for (const secret of ["hunter2", "redis.example", "scheduler_job", "worker_pod", "regcred", "CUSTOM"])
      assert.ok(!text.includes(secret), `${secret} is not serialized`);
    const back = deserializeEnvironment(JSON.parse(text));
    assert.deepEqual(back.fields, { minWorkers: 2, maxWorkers: 5, workStealing: false });
    assert.equal(kindOfType(back.type), "kubernetes-cluster");
  });

  it("rejects bad options at construction, naming the field", () => {
    const rejects = (options: object, check: (e: SluiceError) => boolean): void => {
      assert.throws(
        () => new KubernetesClusterEnvironment(options as never),
        (e: SluiceError) => e instanceof SluiceError && check(e),
      );
    };
    rejects({ minWorkers: 3, maxWorkers: 2 }, (e) => e.field === "minWorkers" && /must not exceed maxWorkers/.test(e.message));
    rejects({ maxWorkers: 0 }, (e) => e.field === "maxWorkers");
    rejects({ minWorkers: 1.5 }, (e) => e.field === "minWorkers");
    rejects({ imagePullSecret: "a, b" }, (e) => e.field === "imagePullSecret" && /separated by commas, without spaces/.test(e.message));
    rejects({ maxWorker: 3 }, (e) => /unknown option "maxWorker"/.test(e.message));
    rejects({ broker: "http://redis:6379" }, (e) => e.field === "broker" && /scheme http: is not supported/.test(e.message));
    rejects({ broker: "redis://redis.example:6379" }, (e) => e.field === "broker" && /neither a password nor TLS/.test(e.message));
    rejects({ executor: new ConcurrentExecutor() }, (e) => e.field === "executor" && /always runs its flows with the distributed executor/.test(e.message));
    rejects({ schedulerSpecFile: "/nonexistent/scheduler.yaml" }, (e) => e.field === "schedulerSpecFile" && /does not exist/.test(e.message));
    rejects({ workerSpecFile: SCHEDULER_SPEC }, (e) => /workerSpecFile .*scheduler_job\.yaml:\d+: apiVersion is "batch\/v1": must be "v1"/.test(e.message));
    rejects({ ephemeralBroker: { address: "dns" } }, (e) => e.field === "ephemeralBroker.address");
    // a remote broker is fine with a password, or with allowInsecureBroker
    assert.equal(new KubernetesClusterEnvironment({ broker: "redis://:pw@redis.example:6379" }).minWorkers, 1);
    assert.equal(new KubernetesClusterEnvironment({ broker: "redis://redis.example:6379", allowInsecureBroker: true }).minWorkers, 1);
    // TLS files are read by the scheduler, not where the flow is registered
    assert.equal(new KubernetesClusterEnvironment({ broker: { url: "rediss://redis.example:6380", tls: { caFile: "/in/the/image/ca.pem" } } }).minWorkers, 1);
  });

  it("declares the custom specs as the files its image needs, at the paths they were read from", () => {
    const env = new KubernetesClusterEnvironment({ schedulerSpecFile: SCHEDULER_SPEC, workerSpecFile: WORKER_SPEC });
    assert.deepEqual(env.imageFiles, [fileURLToPath(SCHEDULER_SPEC), fileURLToPath(WORKER_SPEC)]);
    assert.deepEqual(new KubernetesClusterEnvironment({ workerSpecFile: WORKER_SPEC }).imageFiles, [fileURLToPath(WORKER_SPEC)]);
    assert.deepEqual(new KubernetesClusterEnvironment().imageFiles, []);
  });

  it("builds the default scheduler Job: distributed executor, work stealing and pull secrets on the default spec", () => {
    const env = new KubernetesClusterEnvironment({ metadata: { image: IMAGE }, imagePullSecret: "a,b", workStealing: false, privateRegistry: true });
    const { job, namespace, flowRunId } = env.buildJob(scalingFlow, { config, flowRunId: "run-42", parameters: { outDir: "/tmp/x" } });
    assert.equal(namespace, "team-a");
    assert.equal(flowRunId, "run-42");
    assert.equal(job.metadata.name, "sluice-cluster-job-run-42");
    assert.deepEqual(job.spec.template.spec.imagePullSecrets, [{ name: "a" }, { name: "b" }, { name: "team-a-docker" }]);
    const c = job.spec.template.spec.containers[0]!;
    const env0 = new Map(c.env!.map((e) => [e.name, e.value]));
    assert.equal(env0.get("SLUICE__EXECUTOR__WORK_STEALING"), "false");
    assert.equal(env0.get("SLUICE__ENGINE__EXECUTOR"), "distributed");
    assert.equal(env0.get("SLUICE__CONTEXT__NAMESPACE"), "team-a");
    assert.equal(env0.get("SLUICE__CONTEXT__IMAGE"), IMAGE);
    assert.deepEqual(c.args!.slice(-6), ["--module", scalingFlow.module!, "--flow", scalingFlow.name, "--parameters", '{"outDir":"/tmp/x"}']);
  });

  it("builds the custom scheduler Job as given: no pull secrets, the spec's work stealing", () => {
    const environment = customSpecFlow.environment as KubernetesClusterEnvironment;
    const { job } = environment.buildJob(customSpecFlow, { config, flowRunId: "run-43" });
    assert.equal(job.metadata.name, "sluice-cluster-job-run-43");
    assert.equal(job.spec.template.spec.imagePullSecrets, undefined);
    const c = job.spec.template.spec.containers[0]!;
    assert.equal(c.name, "scheduler");
    assert.equal(c.env!.find((e) => e.name === "SLUICE__EXECUTOR__WORK_STEALING")?.value, "false");
  });

  it("has an image before it launches: a missing one is an error before any call to Kubernetes", () => {
    assert.throws(
      () => new KubernetesClusterEnvironment().buildJob(scalingFlow, { config }),
      (e: SluiceError) => e.field === "metadata.image",
    );
  });

  it("is a registry kind; the JSON options are validated and an executor is refused", async () => {
    const env = await createEnvironment("kubernetes-cluster", { minWorkers: 0, maxWorkers: 4, labels: ["x"] });
    assert.ok(env instanceof KubernetesClusterEnvironment);
    assert.deepEqual([env.minWorkers, env.maxWorkers], [0, 4]);
    await assert.rejects(createEnvironment("kubernetes-cluster", { maxWorkers: "3" }), (e: SluiceError) => e.field === "maxWorkers");
    await assert.rejects(createEnvironment("kubernetes-cluster", { executor: "concurrent" }), (e: SluiceError) => e.field === "executor");
    const twenty19 = await createEnvironment("cluster-on-kubernetes", { maxWorkers: 3 });
    assert.ok(twenty19 instanceof ClusterOnKubernetesEnvironment);
  });
});

describe("ClusterOnKubernetesEnvironment options", () => {
  it("defaults to one worker at most and serializes maxWorkers only", () => {
    const env = new ClusterOnKubernetesEnvironment({ registryUrl: "127.0.0.1:5000", dependencies: ["lodash@4"], env: { A: "b" }, labels: ["k"] });
    assert.equal(env.maxWorkers, 1);
    const serialized = env.serialize();
    assert.deepEqual({ ...serialized, version: "x" }, { type: "ClusterOnKubernetesEnvironment", version: "x", labels: ["k"], metadata: {}, maxWorkers: 1 });
  });

  it("rejects bad options, naming the field", () => {
    assert.throws(
      () => new ClusterOnKubernetesEnvironment({ maxWorkers: 0 }),
      (e: SluiceError) => e.field === "maxWorkers",
    );
    assert.throws(
      () => new ClusterOnKubernetesEnvironment({ registryUrl: "" }),
      (e: SluiceError) => e.field === "registryUrl",
    );
    assert.throws(
      () => new ClusterOnKubernetesEnvironment({ broker: "tcp://x" } as never),
      (e: SluiceError) => e.field === "broker",
    );
  });
});
