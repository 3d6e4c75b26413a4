import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configSchema, type SluiceConfig } from "../../../src/config/schema.js";
import type { RunEvent } from "../../../src/core/events.js";
import { type SluiceError } from "../../../src/core/errors.js";
import { DockerOnKubernetesEnvironment, type KubernetesApiError, KubernetesJobEnvironment } from "../../../src/platforms/kubernetes/index.js";
import { createEnvironment } from "../../../src/platforms/environment-registry.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { kubeTarget, type KubeObject, type KubeTarget } from "../../support/kube/index.js";
import { environment, k8sFlow } from "./fixtures/k8s-flow.js";
import { finishedJobOfRun } from "./finished-job.js";
import type { StandinHooks } from "../../support/kube/hooks.js";

const IMAGE = "sluice-test/k8s-job-flow:0.1.0";
/** An image the process runner does not know: its pods stay in ErrImagePull, so nothing runs. */
const IDLE_IMAGE = "sluice-test/never-runs:1";
const SPEC = new URL("./fixtures/job_spec.yaml", import.meta.url);

/** The suite's target: the stand-in (process mode), or the real cluster of SLUICE_TEST_KUBECONFIG. */
let cluster: KubeTarget;
/** The suite's namespace: the runs' namespace (`context.namespace`), where their Jobs go. */
let ns: string;
const configFor = (over: Record<string, unknown> = {}): SluiceConfig =>
  configSchema().parse({
    api: { url: "http://127.0.0.1:9", key: "plain-api-key" },
    context: { namespace: ns },
    kubernetes: { kubeconfig: cluster.kubeconfigPath },
    ...over,
  });
let runs = 0;
const runId = (): string => `run-${process.pid}-${++runs}`;

/** The Job bodies the stand-in received: what Sluice sent, before any server default. */
function jobCreates(received: StandinHooks["received"]): { name?: string; namespace?: string; body: KubeObject }[] {
  return received
    .filter((r) => r.verb === "create" && r.resource === "jobs" && r.code < 300)
    .map((r) => ({ name: r.name, namespace: r.namespace, body: r.body as KubeObject }));
}

describe("KubernetesJobEnvironment on a Kubernetes target (the stand-in in process mode, or SLUICE_TEST_KUBECONFIG's cluster)", { timeout: 120_000 }, () => {
  before(async () => {
    cluster = await kubeTarget({ standin: { runner: "process", knownImages: [IMAGE] }, namespacePrefix: "sluice-k8s-env" });
    ns = cluster.namespace;
  });
  after(async () => {
    await cluster?.close();
  });

  it("runs the seeds' flow in a Job created from the spec, in the run's namespace", async () => {
    const flowRunId = runId();
    const events: RunEvent[] = [];
    const result = await environment.execute(k8sFlow, { flowRunId, config: configFor(), observers: [(e) => events.push(e)], logLevel: "silent" });
    assert.equal(result.kind, "launched");
    assert.match(result.kind === "launched" ? String(result.resources.job) : "", /^my-sluice-job-[a-z0-9]{8}$/);
    assert.ok(events.some((e) => e.type === "log" && new RegExp(`created Job my-sluice-job-[a-z0-9]{8} in namespace ${ns}`).test(e.record.message)));

    const { job: done, logs } = await finishedJobOfRun({ ...cluster.view, kubeConfig: cluster.kubeConfig }, flowRunId, 90_000, ns);
    assert.equal(done.status.succeeded, 1, `the Job succeeded; pod log:\n${logs}`);
    const line = logs.split("\n").find((l) => l.startsWith("K8S-FLOW-OUTPUT "));
    assert.ok(line, `the flow printed its output in the pod; log:\n${logs}`);
    assert.deepEqual(JSON.parse(line.slice("K8S-FLOW-OUTPUT ".length)), { value: "Example!", myEnv: "foo", flowRunId });
  });

  it("the Job as sent: the seeds' mutations and the user's resources", async (t) => {
    const hooks = cluster.requireHooks(t, "reads the Job as Sluice sent it, from the stand-in's record of requests");
    if (!hooks) return;
    const flowRunId = runId();
    await environment.execute(k8sFlow, { flowRunId, config: configFor(), logLevel: "silent" });
    const [create] = jobCreates(hooks.received).filter((c) => c.body.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId);
    assert.ok(create, "the stand-in received the Job");
    const body = create.body;
    assert.equal(create.namespace, ns);
    const identifier = body.metadata.labels![IDENTIFIER_LABEL]!;
    assert.match(identifier, /^[0-9a-f-]{36}$/);
    assert.equal(body.metadata.labels!.identifier, identifier, "the seeds' placeholder label is filled");
    assert.deepEqual(body.spec.template.metadata.labels, { identifier, [IDENTIFIER_LABEL]: identifier, [FLOW_RUN_ID_LABEL]: flowRunId });
    const container = body.spec.template.spec.containers[0];
    assert.equal(container.name, "flow-container");
    assert.equal(container.image, IMAGE);
    assert.deepEqual(container.resources, { limits: { cpu: "2", memory: "4G" }, requests: { cpu: "1", memory: "2G" } });
    const env = new Map<string, unknown>(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    assert.equal(env.get("MY_ENV"), "foo");
    assert.equal(env.get("SLUICE__CONTEXT__FLOW_RUN_ID"), flowRunId);
    assert.equal(env.get("SLUICE__CONTEXT__NAMESPACE"), ns);
    assert.equal(env.get("SLUICE__CONTEXT__IMAGE"), IMAGE);
    assert.equal(env.get("SLUICE__API__USE_LOCAL_SECRETS"), "false");
    assert.equal(container.env.filter((e: { name: string }) => e.name === "MY_ENV").length, 1);
    assert.deepEqual(container.args.slice(-4), ["--module", k8sFlow.module, "--flow", k8sFlow.name]);
  });

  it("creating the same run's Job again is success; another run under that name is a conflict naming uniqueJobName", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-k8s-idem-"));
    const file = join(dir, "idem.yaml");
    writeFileSync(file, readFileSync(SPEC, "utf8").replace("name: my-sluice-job", "name: idem-job"));
    const env = new KubernetesJobEnvironment({ jobSpecFile: file, metadata: { image: IDLE_IMAGE } });
    rmSync(dir, { recursive: true, force: true });
    const flowRunId = runId();
    const first = await env.execute(k8sFlow, { flowRunId, config: configFor(), logLevel: "silent" });
    const again = await env.execute(k8sFlow, { flowRunId, config: configFor(), logLevel: "silent" });
    assert.equal(first.kind === "launched" && first.description, `created Job idem-job in namespace ${ns}`);
    assert.equal(again.kind === "launched" && again.description, `found existing Job idem-job in namespace ${ns}`);
    const idem = await cluster.view.waitFor(() => cluster.view.jobs(ns).filter((j) => j.metadata.name === "idem-job").length || undefined);
    assert.equal(idem, 1);
    const events: RunEvent[] = [];
    await assert.rejects(
      env.execute(k8sFlow, { flowRunId: runId(), config: configFor(), observers: [(e) => events.push(e)], logLevel: "silent" }),
      (e: KubernetesApiError) => {
        assert.equal(e.code, "CONFLICT");
        assert.equal(e.reason, "AlreadyExists");
        assert.match(e.message, new RegExp(`already exists for another flow run \\(${flowRunId}\\).*uniqueJobName: true`));
        return true;
      },
    );
    assert.ok(
      events.some((e) => e.type === "log" && e.record.level === "error" && /uniqueJobName/.test(e.record.message)),
      "the failure is logged on the run",
    );
  });

  it("uniqueJobName gives concurrent runs of one flow distinct Jobs", async () => {
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC, uniqueJobName: true, metadata: { image: IDLE_IMAGE } });
    const ids = [runId(), runId(), runId()];
    const results = await Promise.all(ids.map((flowRunId) => env.execute(k8sFlow, { flowRunId, config: configFor(), logLevel: "silent" })));
    const names = results.map((r) => (r.kind === "launched" ? String(r.resources.job) : ""));
    assert.equal(new Set(names).size, 3, names.join(", "));
    for (const name of names) assert.match(name, /^my-sluice-job-[a-z0-9]{8}$/);
    for (const flowRunId of ids) await cluster.view.waitFor(() => cluster.view.jobs(ns).some((j) => j.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId));
  });

  it("creates the Job in the run's namespace and takes the API key from a Secret when configured", async () => {
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC, uniqueJobName: true, metadata: { image: IDLE_IMAGE } });
    const flowRunId = runId();
    // A second namespace of the suite's own, created and deleted through the API on either target.
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    const other = `${ns}-b`;
    await core.createNamespace({ body: { metadata: { name: other, labels: { "sluice.io/test": "true" } } } });
    try {
      const config = configFor({ context: { namespace: other }, kubernetes: { kubeconfig: cluster.kubeconfigPath, apiKeySecretName: "sluice-api" } });
      await env.execute(k8sFlow, { flowRunId, config, logLevel: "silent" });
      const jobs = (await cluster.kubeConfig.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: other })).items;
      assert.deepEqual(
        jobs.map((j) => j.metadata?.labels?.[FLOW_RUN_ID_LABEL]),
        [flowRunId],
        `the run's Job is in namespace ${other}`,
      );
      assert.ok(!JSON.stringify(jobs[0]).includes("plain-api-key"), "the API key is not in the manifest");
      const key = jobs[0]!.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === "SLUICE__API__KEY");
      assert.deepEqual(JSON.parse(JSON.stringify(key)), { name: "SLUICE__API__KEY", valueFrom: { secretKeyRef: { name: "sluice-api", key: "api-key" } } });
    } finally {
      await core.deleteNamespace({ name: other, propagationPolicy: "Background" }).catch(() => undefined);
    }
  });

  it("fails with the Kubernetes status message and reason, and logs it on the run", async (t) => {
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC, uniqueJobName: true, metadata: { image: IDLE_IMAGE } });
    // A refused create needs the stand-in's deny rules; the 422 and the 404 below come from either target.
    const hooks = cluster.hooks;
    if (!hooks) t.diagnostic("the 403 case is left out on a real cluster: it needs the stand-in's deny rules");
    else {
      const undeny = hooks.deny("create", "jobs");
      try {
        const events: RunEvent[] = [];
        await assert.rejects(
          env.execute(k8sFlow, { flowRunId: runId(), config: configFor(), observers: [(e) => events.push(e)], logLevel: "silent" }),
          (e: KubernetesApiError) => {
            assert.equal(e.code, "UNAUTHORIZED");
            assert.equal(e.reason, "Forbidden");
            assert.equal(e.statusCode, 403);
            assert.match(
              e.message,
              new RegExp(`creating Job my-sluice-job-[a-z0-9]{8} in namespace ${ns} failed: .*forbidden.*\\(reason: Forbidden, HTTP 403\\)`),
            );
            return true;
          },
        );
        const log = events.find((e) => e.type === "log" && e.record.level === "error");
        assert.ok(log && log.type === "log" && /reason: Forbidden/.test(log.record.message));
      } finally {
        undeny();
      }
    }
    const dir = mkdtempSync(join(tmpdir(), "sluice-k8s-invalid-"));
    const file = join(dir, "invalid.yaml");
    writeFileSync(file, readFileSync(SPEC, "utf8").replace("name: flow-container", "name: Flow_Container"));
    const invalid = new KubernetesJobEnvironment({ jobSpecFile: file, uniqueJobName: true, metadata: { image: IDLE_IMAGE } });
    rmSync(dir, { recursive: true, force: true });
    await assert.rejects(invalid.execute(k8sFlow, { flowRunId: runId(), config: configFor(), logLevel: "silent" }), (e: KubernetesApiError) => {
      assert.equal(e.reason, "Invalid");
      assert.equal(e.statusCode, 422);
      assert.equal(e.field, "spec.template.spec.containers[0].name");
      assert.match(e.message, /is invalid: .*Flow_Container.*\(reason: Invalid, HTTP 422\)/);
      return true;
    });
    await assert.rejects(
      env.execute(k8sFlow, { flowRunId: runId(), config: configFor({ context: { namespace: `${ns}-missing` } }), logLevel: "silent" }),
      (e: KubernetesApiError) => {
        assert.equal(e.reason, "NotFound");
        assert.match(e.message, new RegExp(`namespaces "${ns}-missing" not found \\(reason: NotFound, HTTP 404\\)`));
        return true;
      },
    );
  });

  it("an image or a kubeconfig that is missing fails before any call to Kubernetes", async (t) => {
    const hooks = cluster.requireHooks(t, "counts the requests the stand-in received");
    if (!hooks) return;
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC });
    const before = hooks.received.length;
    await assert.rejects(
      env.execute(k8sFlow, { flowRunId: runId(), config: configFor(), logLevel: "silent" }),
      (e: SluiceError) => e.field === "metadata.image" && /has no image to run in/.test(e.message),
    );
    const withImage = new KubernetesJobEnvironment({ jobSpecFile: SPEC, metadata: { image: IDLE_IMAGE } });
    await assert.rejects(
      withImage.execute(k8sFlow, { flowRunId: runId(), config: configFor({ kubernetes: { kubeconfig: "/nonexistent/kubeconfig" } }), logLevel: "silent" }),
      (e: SluiceError) => e.code === "CONFIG_INVALID" && e.field === "kubernetes.kubeconfig",
    );
    await assert.rejects(
      withImage.execute(k8sFlow, {
        flowRunId: runId(),
        config: configFor({ kubernetes: { kubeconfig: cluster.kubeconfigPath, context: "nope" } }),
        logLevel: "silent",
      }),
      (e: SluiceError) => e.field === "kubernetes.context" && /"nope" is not in the kubeconfig/.test(e.message),
    );
    assert.equal(hooks.received.length, before);
  });
});

describe("KubernetesJobEnvironment options and serialization", () => {
  it("serializes type, labels, metadata and uniqueJobName only: never the spec or its path", () => {
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC, labels: ["k8s", "gpu"], metadata: { image: IMAGE }, uniqueJobName: true });
    const serialized = env.serialize();
    assert.deepEqual(
      { ...serialized, version: "x" },
      { type: "KubernetesJobEnvironment", version: "x", labels: ["gpu", "k8s"], metadata: { image: IMAGE }, uniqueJobName: true },
    );
    const text = JSON.stringify(serialized);
    for (const secret of ["job_spec", "flow-container", "MY_ENV", "4G"]) assert.ok(!text.includes(secret), `${secret} is not serialized`);
  });

  it("rejects unknown options, bad types and a bad spec at construction, naming the field", () => {
    assert.throws(
      () => new KubernetesJobEnvironment({ jobSpecFile: SPEC, uniqueJobname: true } as never),
      (e: SluiceError) => e.code === "INVALID_OPTION" && /unknown option "uniqueJobname"/.test(e.message),
    );
    assert.throws(
      () => new KubernetesJobEnvironment({ jobSpecFile: SPEC, uniqueJobName: "yes" } as never),
      (e: SluiceError) => e.field === "uniqueJobName",
    );
    assert.throws(
      () => new KubernetesJobEnvironment({} as never),
      (e: SluiceError) => e.field === "jobSpecFile",
    );
    assert.throws(
      () => new KubernetesJobEnvironment({ jobSpecFile: SPEC, sluiceCommand: [] }),
      (e: SluiceError) => e.field === "sluiceCommand",
    );
    assert.throws(() => new KubernetesJobEnvironment({ jobSpecFile: SPEC, executor: "local" as never }), TypeError);
  });

  it("is in the environment registry as kubernetes-job (and DockerOnKubernetesEnvironment as docker-on-kubernetes)", async () => {
    const env = await createEnvironment("kubernetes-job", { jobSpecFile: fileURLToPath(SPEC), uniqueJobName: true, labels: ["k8s"] });
    assert.ok(env instanceof KubernetesJobEnvironment);
    assert.deepEqual(env.serialize().labels, ["k8s"]);
    assert.equal((env as KubernetesJobEnvironment).uniqueJobName, true);
    await assert.rejects(createEnvironment("kubernetes-job", { jobSpecFile: fileURLToPath(SPEC), uniqueJobname: true }), (e: SluiceError) =>
      /uniqueJobname/.test(e.message),
    );
    const dok = await createEnvironment("docker-on-kubernetes", { registryUrl: "127.0.0.1:5000", dependencies: ["lodash@4"] });
    assert.ok(dok instanceof DockerOnKubernetesEnvironment);
  });

  it("buildJob() shows the Job execute() would create, without calling Kubernetes", () => {
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC, metadata: { image: IMAGE } });
    const { job, namespace, flowRunId } = env.buildJob(k8sFlow, { flowRunId: "run-dry", config: configSchema().parse({ context: { namespace: "team-b" } }) });
    assert.equal(namespace, "team-b");
    assert.equal(flowRunId, "run-dry");
    assert.equal(job.metadata.name, "my-sluice-job");
    assert.equal(job.metadata.labels[FLOW_RUN_ID_LABEL], "run-dry");
    assert.equal(job.spec.template.spec.containers[0]!.image, IMAGE);
  });

  it("exposes a copy of the spec and declares the spec as the file its image needs, at the path it was read from", () => {
    const env = new KubernetesJobEnvironment({ jobSpecFile: SPEC });
    env.jobSpec.metadata.name = "changed";
    assert.equal(env.jobSpec.metadata.name, "my-sluice-job");
    assert.deepEqual(env.imageFiles, [fileURLToPath(SPEC)]);
    assert.deepEqual(new DockerOnKubernetesEnvironment({ metadata: { image: "x:1" } }).imageFiles, [], "an environment that reads no file declares none");
  });
});
