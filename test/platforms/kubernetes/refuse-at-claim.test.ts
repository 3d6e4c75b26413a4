/**
 * The Kubernetes agent refuses, when it claims it, a run whose environment it cannot run: a DockerEnvironment
 * run's stage "deploy" would start a container from inside the Job's pod, which has no Docker engine. The run
 * is Failed at once with an error naming the agent kinds that do run it, and no Job is created. The routing
 * comes from the platforms' declarations (capabilities.ts), handed over as `sluice agent start kubernetes` does.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../../src/agents/agent.js";
import { agentKind, followedEnvironmentTypes } from "../../../src/agents/registry.js";
import { registrationOf } from "../../../src/cli/registration.js";
import { createLogger } from "../../../src/core/logger.js";
import { agentKindsFor } from "../../../src/platforms/capabilities.js";
import { DockerEnvironment } from "../../../src/platforms/docker/index.js";
import { flow, task } from "../../../src/index.js";
import { LocalStorage } from "../../../src/storage/local/index.js";
import { testConfig, waitForRun } from "../../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../server/support.js";
import { startKubeStandin, type KubeStandin } from "../../support/kube/index.js";

const LABEL = "refuse-at-claim";
const one = task("one", async () => 1);
const dockerFlow = flow("refused-docker-flow", { environment: new DockerEnvironment({ metadata: { image: "127.0.0.1:5000/never-pulled:1" } }) }, () => one());

const target = sqliteTarget();
let server: TestServer;
let kube: KubeStandin;
let agent: Agent;
let home: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), "sluice-k8s-refuse-"));
  server = await startTestServer(target, { home });
  kube = await startKubeStandin({ runner: "process" });
  const config = testConfig(server.server.url, home, {
    SLUICE__AGENT__NAME: "refusing-agent",
    SLUICE__AGENT__LABELS: LABEL,
    SLUICE__KUBERNETES__KUBECONFIG: kube.kubeconfigPath,
  });
  // As `sluice agent start kubernetes` makes it (src/cli/actions/agent.ts).
  const deployer = await (
    await agentKind("kubernetes").load()
  )({
    config,
    logger: createLogger({ level: "silent" }),
    followedTypes: followedEnvironmentTypes("kubernetes"),
    runnersOf: agentKindsFor,
  });
  agent = new Agent({ deployer, client: server.client, config, logger: createLogger({ level: "silent" }) });
  await agent.start();
});
after(async () => {
  await agent?.stop({ stopRuns: true });
  await kube?.close();
  await server?.close();
  await target.cleanup();
  if (home) await rm(home, { recursive: true, force: true });
});

it("fails a DockerEnvironment run at claim, naming the agent kinds that run it, and creates no Job", { timeout: 120_000 }, async () => {
  const storage = new LocalStorage();
  storage.addFlow(dockerFlow);
  const { flowId } = await server.client.registerFlow(registrationOf(dockerFlow, storage, [LABEL]));
  const run = await server.client.createFlowRun({ flowId });
  const done = await waitForRun(server.client, run.id, undefined, 60_000);
  assert.equal(done.state.name, "Failed");
  const kinds = agentKindsFor(DockerEnvironment.serializedType);
  assert.ok(kinds.length > 0 && !kinds.includes("kubernetes"), `agent kinds that run DockerEnvironment: ${kinds.join(", ")}`);
  assert.match(
    done.state.message ?? "",
    new RegExp(
      `a kubernetes agent cannot run flow "refused-docker-flow": its environment DockerEnvironment runs on agent kinds ${kinds.join(", ")}; route the flow`,
    ),
  );
  assert.deepEqual(
    kube.received.filter((r) => r.verb === "create" && r.resource === "jobs"),
    [],
    "no Job was created",
  );
});
