/**
 * A worker-cluster run end to end, against a Sluice server, the Kubernetes agent, real Redis and the
 * Kubernetes stand-in (process mode): Scheduled → stage A Job (the agent's) → the scheduler Job (the
 * environment's, `execute flow-run --stage run`) → worker pods → Success and every task run reported to
 * the server by the scheduler → nothing left in the cluster. It runs in a namespace of its own on the target
 * of kubeTarget(): the stand-in, or the cluster of SLUICE_TEST_KUBECONFIG (where the check of the manifests
 * as sent, which only the stand-in records, is left out).
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../../../src/agents/agent.js";
import { inheritedRunSettings } from "../../../../src/agents/deployer.js";
import { KubernetesDeployer, compileKubernetesAgentOptions } from "../../../../src/platforms/kubernetes/kubernetes-agent.js";
import { registrationOf } from "../../../../src/cli/commands/register.js";
import type { SluiceConfig } from "../../../../src/config/schema.js";
import { createLogger } from "../../../../src/core/logger.js";
import { DEFAULT_BROKER_IMAGE } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { allTaskRuns } from "../../../../src/deployment/flow-run-entry.js";
import { LocalStorage } from "../../../../src/storage/local/index.js";
import { testConfig, waitForRun } from "../../../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../../server/support.js";
import { kubeTarget, type KubeObject, type KubeTarget } from "../../../support/kube/index.js";
import { serviceSuite } from "../../../support/services.js";
import { IMAGE, sharedBrokerFlow, sluiceCommand } from "./fixtures/cluster-flow.js";

const LABEL = "cluster-e2e";

await serviceSuite(["redis"], "a worker-cluster run through the Kubernetes agent (stand-in, process mode)", () => {
  const target = sqliteTarget();
  let server: TestServer;
  let cluster: KubeTarget;
  let home: string;
  let agent: Agent;
  let config: SluiceConfig;
  let flowId: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-cluster-agent-"));
    cluster = await kubeTarget({ standin: { runner: "process", knownImages: [IMAGE, DEFAULT_BROKER_IMAGE] }, namespacePrefix: "sluice-cluster-e2e" });
    // On a real cluster the pods reach the server at an address of this machine (target.reach).
    server = await startTestServer(target, { home, env: { SLUICE__SERVER__HOST: cluster.reach.listenHost } });
    config = testConfig(cluster.reach.serverUrl(server.server.url), home, {
      SLUICE__AGENT__NAME: "cluster-e2e-agent",
      SLUICE__AGENT__LABELS: LABEL,
      SLUICE__KUBERNETES__KUBECONFIG: cluster.kubeconfigPath,
      SLUICE__KUBERNETES__NAMESPACE: cluster.namespace,
      SLUICE__LOGGING__LEVEL: "info",
    });
    const deployer = new KubernetesDeployer(
      compileKubernetesAgentOptions(config, { sluiceCommand, env: { ...inheritedRunSettings(config), ...cluster.reach.podEnv } }),
    );
    agent = new Agent({ deployer, client: server.client, config, logger: createLogger({ level: "silent" }) });
    await agent.start();
    const storage = new LocalStorage();
    storage.addFlow(sharedBrokerFlow);
    flowId = (await server.client.registerFlow(registrationOf(sharedBrokerFlow, storage, [LABEL]))).flowId;
  });
  after(async () => {
    await agent?.stop({ stopRuns: true });
    await cluster?.close();
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("the scheduler Job reports the run and every task run to the server, and the cluster is removed", { timeout: 300_000 }, async () => {
    const outDir = join(home, "out");
    const run = await server.client.createFlowRun({ flowId, parameters: { outDir, n: 4, ms: 300, tailMs: 100 } });
    const done = await waitForRun(server.client, run.id, undefined, 240_000);
    assert.equal(done.state.name, "Success", done.state.message);
    const taskRuns = await allTaskRuns(server.client, run.id);
    const counts = taskRuns.reduce<Record<string, number>>(
      (acc, t) => ({ ...acc, [`${t.taskKey} ${t.state.name}`]: (acc[`${t.taskKey} ${t.state.name}`] ?? 0) + 1 }),
      {},
    );
    assert.deepEqual(counts, { "plan Success": 1, "slow Mapped": 1, "slow Success": 4, "tail Success": 1 });
    assert.equal((await readdir(outDir)).length, 5, "the tasks ran in the worker pods");

    const ofRun = (o: KubeObject): boolean => o.metadata.labels?.["sluice.io/flow-run-id"] === run.id;
    // The manifests as sent: only the stand-in records requests.
    const hooks = cluster.hooks;
    if (hooks) {
      const jobs = hooks.received.filter((r) => r.verb === "create" && r.resource === "jobs" && ofRun(r.body as KubeObject)).map((r) => r.body as KubeObject);
      assert.equal(jobs.length, 2, "the agent's stage A Job and the scheduler Job");
      const scheduler = jobs[1]!;
      assert.equal(scheduler.metadata.name, `sluice-cluster-job-${run.id}`);
      assert.deepEqual(scheduler.spec.template.spec.containers[0].args.slice(-4), ["execute", "flow-run", "--stage", "run"]);
      const workers = hooks.received.filter((r) => r.verb === "create" && r.resource === "pods" && ofRun(r.body as KubeObject));
      assert.equal(workers.length, 2, "minWorkers = maxWorkers = 2 worker pods");
    }

    const messages = (await server.client.readLogs(run.id)).items.map((l) => l.message);
    for (const expected of [/Launched stage B with KubernetesClusterEnvironment: created Job sluice-cluster-job-/, /^Stage B of flow run/]) {
      assert.ok(
        messages.some((m) => expected.test(m)),
        `a log line matching ${expected} in:\n${messages.join("\n")}`,
      );
    }
    await cluster.view.waitFor(
      () =>
        cluster.view
          .pods()
          .every(
            (p) => !ofRun(p) || p.metadata.labels?.["sluice.io/cluster-role"] === undefined || p.metadata.labels["sluice.io/cluster-role"] === "scheduler",
          ),
      30_000,
    );
  });

  it("when the scheduler is killed, the agent fails the run and the server ends its task runs with the reason", { timeout: 300_000 }, async (t) => {
    const hooks = cluster.requireHooks(t, "kills the scheduler's container as the kernel's OOM killer would");
    if (!hooks) return;
    const outDir = join(home, "out-killed");
    const run = await server.client.createFlowRun({ flowId, parameters: { outDir, n: 4, ms: 120_000, tailMs: 100 } });
    const ofRun = (o: KubeObject): boolean => o.metadata.labels?.["sluice.io/flow-run-id"] === run.id;
    const running = async (): Promise<boolean> => (await allTaskRuns(server.client, run.id)).some((t) => t.taskKey === "slow" && t.state.name === "Running");
    const deadline = Date.now() + 180_000;
    while (!(await running())) {
      assert.ok(Date.now() < deadline, "a slow task run reached Running");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const scheduler = cluster.view
      .pods()
      .find((p) => ofRun(p) && p.metadata.labels?.["sluice.io/cluster-role"] === "scheduler" && p.status?.phase === "Running");
    assert.ok(scheduler, "the scheduler pod runs");
    await hooks.oomKill(scheduler.metadata.name!, { namespace: cluster.namespace });

    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    assert.equal(done.state.name, "Failed", "the agent fails the run whose scheduler was killed");
    const taskRuns = await allTaskRuns(server.client, run.id);
    const open = taskRuns.filter((t) => !["Success", "Failed", "Cancelled", "Mapped", "Skipped", "TriggerFailed", "TimedOut"].includes(t.state.name));
    assert.deepEqual(
      open.map((t) => `${t.taskKey}[${t.mapIndex}] ${t.state.name}`),
      [],
      "no task run is left open",
    );
    const ended = taskRuns.filter((t) => t.taskKey === "slow" && t.mapIndex >= 0);
    assert.ok(ended.length > 0);
    for (const t of ended) {
      assert.equal(t.state.name, "Failed");
      assert.equal(t.state.message, `Its flow run ended Failed: ${done.state.message}`, "with the flow run's reason");
    }
    // The workers and the broker go with the scheduler Job, which the agent removes.
    await cluster.view.waitFor(() => cluster.view.pods().every((p) => !ofRun(p)), 120_000);
  });
});
