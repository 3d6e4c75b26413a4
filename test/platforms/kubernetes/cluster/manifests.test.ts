/** The pure manifest builders of worker clusters: scheduler Job, worker pods, broker, pull Secret, pod health. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SluiceError } from "../../../../src/core/errors.js";
import { brokerPod, brokerSecret, brokerService, ephemeralBrokerHost, urlWithoutPassword } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { clusterQueuePrefix, clusterSelector, generateNameFor, schedulerJobName } from "../../../../src/platforms/kubernetes/cluster/cluster-names.js";
import { podVerdict } from "../../../../src/platforms/kubernetes/cluster/pod-health.js";
import { compilePodSpec, type PodManifest } from "../../../../src/platforms/kubernetes/cluster/pod-spec.js";
import { registryCredentials, registrySecret } from "../../../../src/platforms/kubernetes/cluster/registry-secret.js";
import { buildSchedulerJob } from "../../../../src/platforms/kubernetes/cluster/scheduler-job.js";
import { brokerEnv, buildWorkerPod } from "../../../../src/platforms/kubernetes/cluster/worker-pod.js";
import { compileRedis } from "../../../../src/executors/distributed/redis-connection.js";
import { compileJobSpec } from "../../../../src/platforms/kubernetes/job-spec.js";
import type { EnvVar } from "../../../../src/platforms/kubernetes/manifest-types.js";

const RUN = "run-1234";
const ID = "6f1c2b8e-0000-4000-8000-000000000001";
const contract: EnvVar[] = [
  { name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: RUN },
  { name: "SLUICE__API__URL", value: "http://api" },
];
const fixture = (name: string): { file: string; text: string } => {
  const file = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return { file, text: readFileSync(file, "utf8") };
};
const envOf = (env: EnvVar[] | undefined): Map<string, EnvVar> => new Map((env ?? []).map((e) => [e.name, e]));

describe("scheduler Job", () => {
  const common = {
    image: "reg/flow:1",
    flowRunId: RUN,
    identifier: ID,
    env: contract,
    command: ["sluice"],
    args: ["execute", "flow", "--module", "/m.mjs", "--flow", "f"],
  };

  it("default spec: named from the run, labelled, no retries, pull secrets and work stealing set", () => {
    const job = buildSchedulerJob({ ...common, imagePullSecrets: ["a", "b"], workStealing: false });
    assert.equal(job.metadata.name, "sluice-cluster-job-run-1234");
    assert.equal(job.metadata.name, schedulerJobName(RUN));
    for (const labels of [job.metadata.labels, job.spec.template.metadata.labels]) {
      assert.equal(labels["sluice.io/flow-run-id"], RUN);
      assert.equal(labels["sluice.io/identifier"], ID);
      assert.equal(labels["sluice.io/cluster-role"], "scheduler");
    }
    assert.equal(job.spec.backoffLimit, 0);
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, "Never");
    assert.deepEqual(pod.imagePullSecrets, [{ name: "a" }, { name: "b" }]);
    const [c] = pod.containers;
    assert.equal(c!.name, "flow");
    assert.equal(c!.image, "reg/flow:1");
    assert.deepEqual([c!.command, c!.args], [common.command, common.args]);
    const env = envOf(c!.env);
    assert.equal(env.get("SLUICE__EXECUTOR__WORK_STEALING")?.value, "false");
    assert.equal(env.get("SLUICE__CONTEXT__FLOW_RUN_ID")?.value, RUN);
    assert.equal(buildSchedulerJob(common).spec.template.spec.imagePullSecrets, undefined, "no pull secrets unless asked");
  });

  it("custom spec: used as given (no pull secrets, no work-stealing variable); name replaced; the user's variables win by name", () => {
    const spec = compileJobSpec(fixture("scheduler_job.yaml"));
    const before = structuredClone(spec);
    const job = buildSchedulerJob({
      ...common,
      spec,
      imagePullSecrets: ["regcred"],
      workStealing: true,
      env: [...contract, { name: "CUSTOM_SCHEDULER", value: "overridden?" }],
    });
    assert.deepEqual(spec, before, "the spec is not mutated");
    assert.equal(job.metadata.name, "sluice-cluster-job-run-1234");
    assert.equal(job.metadata.labels.team, "data");
    assert.equal(job.spec.template.metadata.labels.team, "data");
    assert.equal(job.spec.template.metadata.labels["sluice.io/cluster-role"], "scheduler");
    const pod = job.spec.template.spec;
    assert.equal(pod.imagePullSecrets, undefined);
    assert.equal(pod.serviceAccountName, "sluice-scheduler");
    const c = pod.containers[0]!;
    assert.equal(c.name, "scheduler");
    assert.equal(c.image, "reg/flow:1");
    assert.deepEqual(c.resources, { limits: { cpu: "1", memory: "1G" } });
    const names = c.env!.map((e) => e.name);
    assert.equal(names.filter((n) => n === "SLUICE__EXECUTOR__WORK_STEALING").length, 1);
    const env = envOf(c.env);
    assert.equal(env.get("SLUICE__EXECUTOR__WORK_STEALING")?.value, "false", "the user's value is kept");
    assert.equal(env.get("CUSTOM_SCHEDULER")?.value, "yes");
    assert.equal(env.get("SLUICE__API__URL")?.value, "http://api");
  });

  it("a custom spec naming another namespace is an error", () => {
    const spec = compileJobSpec(fixture("scheduler_job.yaml"));
    spec.metadata.namespace = "prod";
    assert.throws(
      () => buildSchedulerJob({ ...common, spec, namespace: "default" }),
      (e: SluiceError) => e.field === "metadata.namespace" && /differs from the run's namespace/.test(e.message),
    );
  });
});

describe("worker pods", () => {
  const broker = { url: "redis://10.0.0.5:6379", passwordSecret: { name: "sluice-broker-run-1234-abcde", key: "redis-password" } };
  const owner = { apiVersion: "batch/v1", kind: "Job", name: "sluice-cluster-job-run-1234", uid: "uid-1" };
  const base = { image: "reg/flow:1", flowRunId: RUN, identifier: ID, namespace: "default", sluiceCommand: ["node", "cli.js"], owner };

  it("default spec: `sluice worker` with its pod name as id, the broker from variables, the password from the Secret, owned by the scheduler Job", () => {
    const env = [...contract, ...brokerEnv(broker, "sluice-cluster-run-1234", 4)];
    const pod = buildWorkerPod({ ...base, env, imagePullSecrets: ["regcred"] });
    assert.equal(pod.metadata.name, undefined);
    assert.equal(pod.metadata.generateName, "sluice-worker-run-1234-");
    assert.deepEqual(pod.metadata.ownerReferences, [owner]);
    assert.equal(pod.metadata.labels["sluice.io/cluster-role"], "worker");
    assert.equal(pod.metadata.labels["sluice.io/flow-run-id"], RUN);
    assert.equal(pod.spec.restartPolicy, "Never");
    assert.deepEqual(pod.spec.imagePullSecrets, [{ name: "regcred" }]);
    const c = pod.spec.containers[0]!;
    assert.equal(c.image, "reg/flow:1");
    assert.deepEqual(c.command, ["node"]);
    assert.deepEqual(c.args, ["cli.js", "worker", "--worker-id", "$(SLUICE_WORKER_POD_NAME)", "--shutdown-grace", "28000"]);
    const vars = envOf(c.env);
    assert.deepEqual(vars.get("SLUICE_WORKER_POD_NAME"), { name: "SLUICE_WORKER_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
    assert.equal(vars.get("SLUICE__EXECUTOR__REDIS_URL")?.value, "redis://10.0.0.5:6379");
    assert.equal(vars.get("SLUICE__EXECUTOR__QUEUE_PREFIX")?.value, "sluice-cluster-run-1234");
    assert.equal(vars.get("SLUICE__EXECUTOR__WORKER_CONCURRENCY")?.value, "4");
    assert.deepEqual(vars.get("SLUICE__EXECUTOR__REDIS_PASSWORD")?.valueFrom, { secretKeyRef: broker.passwordSecret });
    assert.equal(vars.get("SLUICE__CONTEXT__FLOW_RUN_ID")?.value, RUN);
  });

  it("custom spec: kept as given; Sluice's command only when it has none; variables by name (the user's win)", () => {
    const spec = compilePodSpec(fixture("worker_pod.yaml"));
    const before = structuredClone(spec);
    const env = [...contract, ...brokerEnv(broker, "q", 4)];
    const pod = buildWorkerPod({ ...base, spec, env, imagePullSecrets: ["regcred"] });
    assert.deepEqual(spec, before, "the spec is not mutated");
    assert.equal(pod.spec.imagePullSecrets, undefined, "no pull secrets on custom specs");
    assert.equal(pod.metadata.labels.team, "data");
    const c = pod.spec.containers[0]!;
    assert.equal(c.name, "my-worker");
    assert.deepEqual(c.resources, { requests: { cpu: "500m" } });
    assert.deepEqual(c.command, ["node"]);
    const vars = envOf(c.env);
    assert.equal(vars.get("SLUICE__EXECUTOR__WORKER_CONCURRENCY")?.value, "2", "the spec's value wins");
    assert.equal(c.env!.filter((e) => e.name === "SLUICE__EXECUTOR__WORKER_CONCURRENCY").length, 1);
    assert.equal(vars.get("CUSTOM_WORKER")?.value, "yes");

    const own: PodManifest = structuredClone(spec);
    own.metadata.name = "gpu-worker";
    own.spec.containers[0]!.command = ["/bin/sh", "-c", "exec sluice worker"];
    const kept = buildWorkerPod({ ...base, spec: own, env });
    assert.deepEqual(kept.spec.containers[0]!.command, ["/bin/sh", "-c", "exec sluice worker"]);
    assert.equal(kept.spec.containers[0]!.args, undefined);
    assert.equal(kept.metadata.generateName, "gpu-worker-", "the spec's name is the base of the generated names");
  });

  it("a custom worker spec naming another namespace is an error", () => {
    const spec = compilePodSpec(fixture("worker_pod.yaml"));
    spec.metadata.namespace = "other";
    assert.throws(
      () => buildWorkerPod({ ...base, spec, env: [] }),
      (e: SluiceError) => /metadata.namespace/.test(String(e.field)),
    );
  });

  it("worker pod specs are validated with the file, line and field", () => {
    assert.throws(
      () => compilePodSpec({ file: "w.yaml", text: "apiVersion: batch/v1\nkind: Job\n" }),
      (e: SluiceError) => /w\.yaml:1: apiVersion is "batch\/v1": must be "v1"/.test(e.message),
    );
    assert.throws(
      () =>
        compilePodSpec({
          file: "w.yaml",
          text: "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: w\n      env:\n        - name: N\n          value: 3\n",
        }),
      (e: SluiceError) => e.code === "INVALID_OPTION" && /w\.yaml:8: spec\.containers\[0\]\.env\[0\]\.value is 3: must be a string/.test(e.message),
    );
    assert.throws(() => compilePodSpec({ file: "w.yaml", text: "" }), /is empty; it must hold one v1 Pod/);
    const minimal = compilePodSpec({ file: "w.yaml", text: "apiVersion: v1\nkind: Pod\n" });
    assert.deepEqual(minimal.spec.containers, [{ name: "worker" }]);
  });

  it("worker pod specs with a field Kubernetes does not know are refused, with the closest known name", () => {
    assert.throws(
      () =>
        compilePodSpec({
          file: "w.yaml",
          text: "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: w\n      resurces:\n        limits: { memory: 1Gi }\n",
        }),
      (e: SluiceError) =>
        e.field === "workerSpecFile:spec.containers[0].resurces" &&
        /w\.yaml:6: spec\.containers\[0\]\.resurces is not a field Kubernetes knows here: .*did you mean "resources"\?/.test(e.message),
    );
    assert.throws(
      () => compilePodSpec({ file: "w.yaml", text: "apiVersion: v1\nkind: Pod\nspec:\n  tolerations: [{ key: gpu, operater: Exists }]\n" }),
      /spec\.tolerations\[0\]\.operater .*did you mean "operator"\?/,
    );
  });
});

describe("ephemeral broker", () => {
  const settings = { image: "redis:7-alpine", port: 6380, address: "service" as const, startTimeoutMs: 1000 };

  it("keeps the password in a Secret only; the pod reads it from there", () => {
    const secret = brokerSecret({ flowRunId: RUN, identifier: ID, password: "s3cret" });
    assert.deepEqual(secret.stringData, { "redis-password": "s3cret" });
    assert.equal(secret.metadata.labels["sluice.io/cluster-role"], "broker");
    const pod = brokerPod({ flowRunId: RUN, identifier: ID, settings, secretName: "sec-1", imagePullSecrets: ["regcred"] });
    assert.ok(!JSON.stringify(pod).includes("s3cret"));
    const c = pod.spec.containers[0]!;
    assert.deepEqual(c.command, ["redis-server"]);
    assert.deepEqual(c.args!.slice(0, 4), ["--port", "6380", "--requirepass", "$(SLUICE_BROKER_PASSWORD)"]);
    assert.deepEqual(c.env, [{ name: "SLUICE_BROKER_PASSWORD", valueFrom: { secretKeyRef: { name: "sec-1", key: "redis-password" } } }]);
    assert.deepEqual(pod.spec.imagePullSecrets, [{ name: "regcred" }]);
    const service = brokerService({ flowRunId: RUN, identifier: ID, port: 6380 });
    assert.deepEqual(service.spec.ports, [{ name: "redis", port: 6380, targetPort: 6380 }]);
    assert.equal(service.spec.selector["sluice.io/cluster-role"], "broker");
  });

  it("is reached through its Service's DNS name, or its pod's IP", () => {
    assert.equal(ephemeralBrokerHost("service", "sluice-broker-x", "team-a", "10.1.2.3"), "sluice-broker-x.team-a.svc");
    assert.equal(ephemeralBrokerHost("pod-ip", "sluice-broker-x", "team-a", "10.1.2.3"), "10.1.2.3");
    assert.equal(ephemeralBrokerHost("pod-ip", "s", "n", "fd00::1"), "[fd00::1]");
  });

  it("workers get the broker's URL without the password", () => {
    assert.equal(urlWithoutPassword(compileRedis("rediss://:pw@redis.example:6380/2")), "rediss://redis.example:6380/2");
    assert.equal(urlWithoutPassword(compileRedis("redis://app:pw@127.0.0.1:6379")), "redis://app@127.0.0.1:6379");
  });
});

describe("names", () => {
  it("stay valid DNS labels for long run ids", () => {
    const long = `Run_${"x".repeat(100)}`;
    const gen = generateNameFor("sluice-worker", long);
    assert.ok(gen.length + 5 <= 63, gen);
    assert.match(gen, /^[a-z0-9][-a-z0-9]*-$/);
    assert.match(clusterQueuePrefix("a:b/c"), /^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    assert.equal(clusterSelector(RUN), "sluice.io/flow-run-id=run-1234,sluice.io/cluster-role in (worker,broker)");
    assert.equal(clusterSelector(RUN, "scheduler"), "sluice.io/flow-run-id=run-1234,sluice.io/cluster-role=scheduler");
  });
});

describe("pod health", () => {
  const pod = (status: object, metadata: object = {}) => ({ metadata: { name: "w-1", ...metadata }, status });
  it("tells starting, running, cannot-start, ended and terminating pods apart", () => {
    assert.deepEqual(podVerdict(pod({ phase: "Pending" })), { kind: "ok", running: false });
    assert.deepEqual(podVerdict(pod({ phase: "Running" })), { kind: "ok", running: true });
    assert.deepEqual(podVerdict(pod({ phase: "Running" }, { deletionTimestamp: "2024-01-01T00:00:00Z" })), { kind: "terminating" });
    const pull = podVerdict(
      pod({ phase: "Pending", containerStatuses: [{ name: "worker", state: { waiting: { reason: "ErrImagePull", message: "not found" } } }] }),
    );
    assert.deepEqual(pull, { kind: "cannot-start", reason: "pod w-1: container worker cannot start: ErrImagePull: not found" });
    const failed = podVerdict(pod({ phase: "Failed", containerStatuses: [{ name: "worker", state: { terminated: { reason: "OOMKilled", exitCode: 137 } } }] }));
    assert.deepEqual(failed, { kind: "ended", reason: "pod w-1 failed: container worker terminated (OOMKilled, exit code 137)" });
    const evicted = podVerdict(pod({ phase: "Failed", reason: "Evicted", message: "low memory" }));
    assert.equal(evicted.kind, "ended");
    assert.match((evicted as { reason: string }).reason, /Evicted: low memory/);
    const crash = podVerdict(
      pod({
        phase: "Running",
        containerStatuses: [
          { name: "worker", state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, reason: "Error" } } },
        ],
      }),
    );
    assert.deepEqual(crash, {
      kind: "ended",
      reason: "pod w-1: container worker keeps crashing (CrashLoopBackOff); last: container worker terminated (Error, exit code 1)",
    });
  });
});

describe("registry pull Secret (privateRegistry)", () => {
  it("turns the server secret into a dockerconfigjson Secret named <namespace>-docker", () => {
    const creds = registryCredentials(
      JSON.stringify({ "docker-server": "reg.example", "docker-username": "u", "docker-password": "p", "docker-email": "e@x" }),
      "DOCKER_REGISTRY_CREDENTIALS",
    );
    const secret = registrySecret("team-a", creds);
    assert.equal(secret.metadata.name, "team-a-docker");
    assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
    const config = JSON.parse(secret.stringData[".dockerconfigjson"]!);
    assert.deepEqual(config.auths["reg.example"], { username: "u", password: "p", email: "e@x", auth: Buffer.from("u:p").toString("base64") });
  });

  it("names the missing key without showing the values", () => {
    assert.throws(
      () => registryCredentials({ "docker-server": "r", "docker-password": "hunter2" }, "CREDS"),
      (e: SluiceError) => {
        assert.equal(e.field, "dockerSecret.docker-username");
        assert.ok(!e.message.includes("hunter2"));
        return /CREDS has no "docker-username"/.test(e.message);
      },
    );
    assert.throws(() => registryCredentials(42, "CREDS"), /is not a JSON object/);
  });
});
