/**
 * End to end with the stand-in in process mode: a server, the Kubernetes agent, and flows on
 * KubernetesJobEnvironment. A run goes Scheduled → stage A Job (created by the agent) → stage B Job
 * (created by the environment) → Success, reported by stage B; each failure Kubernetes can inflict ends
 * the run Failed with its reason and leaves no Job behind; concurrent runs of one flow do not collide.
 * Pods keep their grace period: a pod stopped from outside sends its process SIGTERM, and the run ends
 * Failed naming the signal (never Cancelled), the agent adding the Kubernetes reason as an ERROR line. The
 * agent leaves the process that grace period (plus a margin) to report, so this is the only outcome; a
 * process that cannot report (hung, then SIGKILLed) gets its run failed by the agent with the reason.
 * The suite runs in a namespace of its own on the target of kubeTarget(): the stand-in, or the cluster of
 * SLUICE_TEST_KUBECONFIG, where the tests that need the stand-in's hooks (OOM kill, eviction, the request
 * record) are skipped with the reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "../../../src/agents/agent.js";
import { inheritedRunSettings } from "../../../src/agents/deployer.js";
import { KubernetesDeployer, compileKubernetesAgentOptions } from "../../../src/platforms/kubernetes/kubernetes-agent.js";
import type { FlowRun } from "../../../src/client/index.js";
import { registrationOf } from "../../../src/cli/commands/register.js";
import type { SluiceConfig } from "../../../src/config/schema.js";
import type { AnyFlow } from "../../../src/core/flow.js";
import { loadFlows } from "../../../src/core/load.js";
import { createLogger } from "../../../src/core/logger.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { LocalStorage } from "../../../src/storage/local/index.js";
import { allTaskRuns } from "../../../src/deployment/flow-run-entry.js";
import { testConfig, waitFor, waitForRun } from "../../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../server/support.js";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { kubeTarget, type ClusterView, type KubeObject, type KubeTarget } from "../../support/kube/index.js";
import { HANG_MARKER, KNOWN_IMAGE } from "./fixtures/agent-flows.js";
import { fixtureSluiceCommand } from "./fixtures/cluster-image.js";

const MODULES = [fileURLToPath(new URL("./fixtures/k8s-flow.ts", import.meta.url)), fileURLToPath(new URL("./fixtures/agent-flows.ts", import.meta.url))];
const LABEL = "k8s-e2e";

describe("the Kubernetes agent end to end (stand-in, process mode)", { timeout: 600_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let cluster: KubeTarget;
  /** What the tests read of the cluster: Jobs, pods, events, waitFor. */
  let kube: ClusterView;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let ns: string;
  let home: string;
  let agent: Agent;
  let config: SluiceConfig;
  const flowIds = new Map<string, string>();

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-k8s-agent-"));
    cluster = await kubeTarget({ standin: { runner: "process", knownImages: [KNOWN_IMAGE] }, namespacePrefix: "sluice-k8s-e2e" });
    // On a real cluster the pods reach the server at an address of this machine (target.reach).
    server = await startTestServer(target, { home, env: { SLUICE__SERVER__HOST: cluster.reach.listenHost } });
    kube = cluster.view;
    ns = cluster.namespace;
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    batch = cluster.kubeConfig.makeApiClient(BatchV1Api);
    config = testConfig(cluster.reach.serverUrl(server.server.url), home, {
      SLUICE__AGENT__NAME: "k8s-e2e-agent",
      SLUICE__AGENT__LABELS: LABEL,
      SLUICE__KUBERNETES__KUBECONFIG: cluster.kubeconfigPath,
      SLUICE__KUBERNETES__NAMESPACE: ns,
      // what launched runs send to the server (the run contract passes it on)
      SLUICE__LOGGING__LEVEL: "info",
    });
    const deployer = new KubernetesDeployer(
      compileKubernetesAgentOptions(config, { sluiceCommand: fixtureSluiceCommand, env: { ...inheritedRunSettings(config), ...cluster.reach.podEnv } }),
    );
    agent = new Agent({
      deployer,
      client: server.client,
      config,
      logger: createLogger({ level: process.env.SLUICE_TEST_AGENT_LOG === "1" ? "debug" : "silent" }),
    });
    await agent.start();
    const flows: AnyFlow[] = (await Promise.all(MODULES.map((m) => loadFlows(m)))).flat();
    for (const flow of flows) {
      const storage = new LocalStorage();
      storage.addFlow(flow);
      flowIds.set(flow.name, (await server.client.registerFlow(registrationOf(flow, storage, [LABEL]))).flowId);
    }
  });
  after(async () => {
    await agent?.stop({ stopRuns: true });
    await cluster?.close();
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const start = async (flowName: string, parameters: Record<string, unknown> = {}): Promise<FlowRun> => {
    const flowId = flowIds.get(flowName);
    assert.ok(flowId, `flow ${flowName} is registered`);
    return server.client.createFlowRun({ flowId, parameters });
  };
  const jobsOf = (flowRunId: string): KubeObject[] => kube.jobs().filter((j) => j.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId);
  const noJobLeft = (flowRunId: string): Promise<true> =>
    kube.waitFor(() => jobsOf(flowRunId).length === 0 && kube.pods().every((p) => p.metadata.labels?.[FLOW_RUN_ID_LABEL] !== flowRunId), 30_000);
  /** The running pod of the run's stage B Job (the one the environment created). */
  const stageBPod = (flowRunId: string): Promise<KubeObject> =>
    kube.waitFor(
      () =>
        kube
          .pods()
          .find(
            (p) => p.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId && p.metadata.labels?.[CREATED_BY_LABEL] !== "agent" && p.status?.phase === "Running",
          ),
      60_000,
    );
  const errorLogs = async (flowRunId: string): Promise<string[]> => (await server.client.readLogs(flowRunId, { level: "error" })).items.map((l) => l.message);
  const TERMINATED = /^terminated by SIGTERM: the container\/pod was stopped from outside \(eviction, deletion, node drain, docker stop\)$/;
  /**
   * A run stopped from outside while its pod has a grace period: the run's process receives SIGTERM and
   * ends the run Failed naming the signal (never Cancelled, never the agent's message: the agent waits for
   * that report), and the agent writes the Kubernetes reason as one ERROR line. Answers that line.
   */
  const terminatedWithReason = async (flowRunId: string, reason: RegExp): Promise<string> => {
    const run = await waitForRun(server.client, flowRunId, undefined, 30_000);
    assert.equal(run.state.name, "Failed", run.state.message);
    assert.match(run.state.message ?? "", TERMINATED);
    assert.equal(run.state.error?.code, "TERMINATED");
    const line = await waitFor("the agent's ERROR line", async () => (await errorLogs(flowRunId)).find((m) => m.startsWith("Kubernetes: ")), 30_000);
    assert.match(line, reason);
    assert.match(line, /; the run had already ended Failed$/);
    await noJobLeft(flowRunId);
    const lines = (await errorLogs(flowRunId)).filter((m) => m.startsWith("Kubernetes: "));
    assert.deepEqual(lines, [line], "one line from the agent");
    const [task] = await allTaskRuns(server.client, flowRunId);
    assert.notEqual(task!.state.name, "Cancelled", "a task run stopped from outside is never Cancelled");
    assert.ok((await errorLogs(flowRunId)).some((m) => m.startsWith("The flow run's process was terminated by SIGTERM")));
    return line;
  };

  it("runs the seeds' flow: stage A Job from the agent, stage B Job from the spec, Success reported by stage B", async () => {
    const run = await start("Kubernetes Job Environment w/ Resource Requests & Limits");
    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    assert.equal(done.state.name, "Success", done.state.message);
    const taskRuns = await allTaskRuns(server.client, run.id);
    assert.deepEqual(taskRuns.map((t) => `${t.taskKey} ${t.state.name}`).sort(), ["get_value Success", "output_value Success"]);
    assert.equal(taskRuns.find((t) => t.taskKey === "output_value")!.state.result, "Example!");

    // The manifests as sent: only the stand-in records requests.
    const hooks = cluster.hooks;
    if (hooks) {
      const creates = hooks.received.filter(
        (r) => r.verb === "create" && r.resource === "jobs" && (r.body as KubeObject).metadata.labels?.[FLOW_RUN_ID_LABEL] === run.id,
      );
      assert.equal(creates.length, 2, "a stage A and a stage B Job");
      const [stageA, stageB] = creates.map((c) => c.body as KubeObject);
      assert.equal(stageA!.metadata.name, `sluice-run-${run.id}`);
      const a = stageA!.spec.template.spec.containers[0];
      assert.equal(a.image, KNOWN_IMAGE);
      assert.deepEqual(a.args.slice(-4), ["execute", "flow-run", "--stage", "deploy"]);
      assert.match(stageB!.metadata.name!, /^my-sluice-job-[a-z0-9]{8}$/);
      const b = stageB!.spec.template.spec.containers[0];
      assert.deepEqual(b.args.slice(-4), ["execute", "flow-run", "--stage", "run"]);
      assert.deepEqual(b.resources, { limits: { cpu: "2", memory: "4G" }, requests: { cpu: "1", memory: "2G" } });
      const env = new Map(b.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      assert.equal(env.get("MY_ENV"), "foo");
      assert.equal(env.get("SLUICE__CONTEXT__FLOW_RUN_ID"), run.id);
      assert.equal(env.get("SLUICE__API__URL"), server.server.url);
      assert.equal(b.env.filter((e: { name: string }) => e.name === "MY_ENV").length, 1);
    }
    await noJobLeft(run.id);
    const messages = (await server.client.readLogs(run.id)).items.map((l) => l.message);
    for (const expected of [
      /^Deployed by agent k8s-e2e-agent \(kubernetes\): created Kubernetes Job sluice-run-/,
      /Launched stage B with KubernetesJobEnvironment: created Job my-sluice-job-/,
      /^Stage B of flow run/,
    ]) {
      assert.ok(
        messages.some((m) => expected.test(m)),
        `a log line matching ${expected} in:\n${messages.join("\n")}`,
      );
    }
  });

  it("two concurrent runs of one flow with uniqueJobName do not collide", async () => {
    const runs = await Promise.all([
      start("Kubernetes Job Environment w/ Resource Requests & Limits"),
      start("Kubernetes Job Environment w/ Resource Requests & Limits"),
    ]);
    const done = await Promise.all(runs.map((r) => waitForRun(server.client, r.id, undefined, 180_000)));
    for (const d of done) assert.equal(d.state.name, "Success", d.state.message);
    const hooks = cluster.hooks;
    if (hooks) {
      const names = hooks.received
        .filter(
          (r) =>
            r.verb === "create" &&
            r.resource === "jobs" &&
            r.code < 300 &&
            runs.some((run) => (r.body as KubeObject).metadata.labels?.[FLOW_RUN_ID_LABEL] === run.id),
        )
        .map((r) => (r.body as KubeObject).metadata.name);
      assert.equal(new Set(names).size, 4, names.join(", "));
    }
    await Promise.all(runs.map((r) => noJobLeft(r.id)));
  });

  it("an image that cannot be pulled fails the run with the reason; pending-pod events go to DEBUG logs once each", async () => {
    const run = await start("k8s-missing-image");
    const failed = await waitForRun(server.client, run.id, undefined, 60_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, /^Kubernetes: container flow-run of pod sluice-run-.* cannot start: (ErrImagePull|ImagePullBackOff)/);
    assert.match(failed.state.message!, /sluice-test\/does-not-exist:1/);
    await noJobLeft(run.id);
    const errors = await errorLogs(run.id);
    assert.ok(
      errors.some((m) =>
        /^Pod sluice-run-.*, container flow-run \(image sluice-test\/does-not-exist:1, 0 restarts\): waiting, reason (ErrImagePull|ImagePullBackOff)/.test(m),
      ),
      errors.join("\n"),
    );
    const debug = (await server.client.readLogs(run.id, { level: "debug" })).items.filter((l) => l.level === "debug").map((l) => l.message);
    const pulling = debug.filter((m) => /: Pulling: Pulling image "sluice-test\/does-not-exist:1"/.test(m));
    assert.equal(pulling.length, 1, `the Pulling event once:\n${debug.join("\n")}`);
    assert.ok(
      debug.some((m) => /: Scheduled: /.test(m)),
      debug.join("\n"),
    );
    assert.equal(new Set(debug).size, debug.length, `no event logged twice:\n${debug.join("\n")}`);
  });

  it("an OOM-killed container fails the run with OOMKilled and its exit code", async (t) => {
    const hooks = cluster.requireHooks(t, "OOM-kills a container");
    if (!hooks) return;
    const run = await start("k8s-slow");
    const pod = await stageBPod(run.id);
    await waitForRun(server.client, run.id, ["Running"], 30_000);
    await hooks.oomKill(pod.metadata.name!, { namespace: ns });
    const failed = await waitForRun(server.client, run.id, undefined, 30_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, /ran out of memory and was killed \(OOMKilled, exit code 137\).*\(reason: OOMKilled\)/);
    const errors = await errorLogs(run.id);
    assert.ok(
      errors.some((m) => new RegExp(`^Pod ${pod.metadata.name}, container flow-container .*terminated with exit code 137, reason OOMKilled`).test(m)),
      errors.join("\n"),
    );
    await noJobLeft(run.id);
  });

  it("an evicted pod (with its grace period): the run ends Failed, its process naming SIGTERM, and the agent adds Evicted", async (t) => {
    const hooks = cluster.requireHooks(t, "evicts a pod");
    if (!hooks) return;
    const run = await start("k8s-slow");
    const pod = await stageBPod(run.id);
    await waitForRun(server.client, run.id, ["Running"], 30_000);
    await hooks.evict(pod.metadata.name!, { namespace: ns, message: "The node was low on resource: memory." });
    await terminatedWithReason(
      run.id,
      new RegExp(`^Kubernetes: pod ${pod.metadata.name} was evicted: The node was low on resource: memory\\.(; .*)? \\(reason: Evicted\\)`),
    );
  });

  it("a pod deleted from under a run (with its grace period): its process ends the run, the agent adds PodDeleted", async () => {
    const run = await start("k8s-slow");
    const pod = await stageBPod(run.id);
    await waitForRun(server.client, run.id, ["Running"], 30_000);
    await core.deleteNamespacedPod({ name: pod.metadata.name!, namespace: ns }); // the pod's grace period: SIGTERM first
    // The deletion fails the pod's Job too (backoffLimit 0): a consequence, named after the cause.
    await terminatedWithReason(run.id, new RegExp(`^Kubernetes: pod ${pod.metadata.name} was deleted while it was running(; .*)? \\(reason: PodDeleted\\)`));
  });

  it("a run whose Job vanished: its process ends the run, the agent adds JobDeleted", async () => {
    const run = await start("k8s-slow");
    const pod = await stageBPod(run.id);
    await waitForRun(server.client, run.id, ["Running"], 30_000);
    const job = pod.metadata.ownerReferences!.find((r) => r.kind === "Job")!.name;
    await batch.deleteNamespacedJob({ name: job, namespace: ns, propagationPolicy: "Background" }); // its pod goes with its grace period
    // The agent saw the Job deleted, or (when it never listed the Job before it went) the run left without any Job.
    await terminatedWithReason(
      run.id,
      new RegExp(
        `^Kubernetes: (Kubernetes Job ${job} was deleted before it finished|the run's Kubernetes Jobs \\(.*\\) are gone and the run did not finish: .*)(; .*)? \\(reason: JobDeleted\\)`,
      ),
    );
  });

  it("a hung process (SIGKILLed after its grace period, it never reports): the agent fails the run with PodDeleted after the grace", async () => {
    const run = await start("k8s-hang");
    const pod = await stageBPod(run.id);
    const name = pod.metadata.name!;
    await waitForRun(server.client, run.id, ["Running"], 30_000);
    await waitFor(
      "the hang marker in the pod's log",
      async () => ((await core.readNamespacedPodLog({ name, namespace: ns })).includes(HANG_MARKER) ? true : undefined),
      30_000,
    );
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ name, namespace: ns }); // SIGTERM, which the hung process cannot act on; SIGKILL 2 s later
    const failed = await waitForRun(server.client, run.id, undefined, 30_000);
    const waited = Date.now() - deletedAt;
    assert.equal(failed.state.name, "Failed", failed.state.message);
    assert.match(failed.state.message!, new RegExp(`^Kubernetes: pod ${name} was deleted while it was running(; .*)? \\(reason: PodDeleted\\)$`));
    assert.equal(failed.state.error?.code ?? null, null, "failed by the agent, not by the run's process");
    // The job spec's terminationGracePeriodSeconds (2 s) plus the agent's default margin (5 s).
    assert.ok(waited >= 7_000, `the agent waited the pod's grace and its margin before failing the run, not ${waited} ms`);
    const errors = await errorLogs(run.id);
    assert.ok(
      errors.some((m) => m.startsWith(`Pod ${name}, container flow-container `)),
      errors.join("\n"),
    );
    assert.ok(!errors.some((m) => m.startsWith("The flow run's process was terminated")), "the process never reported");
    await noJobLeft(run.id);
  });

  it("a Job that reaches its backoff limit fails the run with BackoffLimitExceeded and the exit codes", async () => {
    const run = await start("k8s-crash");
    const failed = await waitForRun(server.client, run.id, undefined, 90_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, /Kubernetes Job crash-job-[a-z0-9]{8} failed \(BackoffLimitExceeded\)/);
    const errors = await errorLogs(run.id);
    assert.ok(
      errors.some((m) => /^Pod crash-job-.*, container flow-container .*terminated with exit code 9/.test(m)),
      errors.join("\n"),
    );
    await noJobLeft(run.id);
  });

  it("a Job that runs past its deadline: its process ends the run, the agent adds DeadlineExceeded", async () => {
    const run = await start("k8s-deadline");
    await waitForRun(server.client, run.id, ["Running"], 60_000);
    // At the deadline the Job's controller stops its pod with its grace period: the process ends the run (SIGTERM).
    await terminatedWithReason(
      run.id,
      /^Kubernetes: Kubernetes Job deadline-job-[a-z0-9]{8} failed \(DeadlineExceeded\): Job was active longer than specified deadline(; .*)? \(reason: DeadlineExceeded\)/,
    );
  });

  it("leaves no Job behind and no run in flight", async () => {
    await waitFor("the agent to let go of every run", () => (agent.inFlight === 0 ? true : undefined), 30_000);
    assert.deepEqual(
      kube.jobs().map((j) => j.metadata.name),
      [],
    );
  });
});
