/**
 * The run page of a deployed run that failed for a reason of its infrastructure, in headless Chromium:
 * real runs, deployed by the real Kubernetes and ECS agents against the stand-ins of test/support, end
 * Failed with the reason the agent recorded (an image that cannot be pulled, a container killed for
 * memory, no capacity), and the page shows that reason, the container's state and exit code, and for
 * Kubernetes the pod's events, without reading the logs tab.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Locator, Page } from "playwright-core";
import { Agent } from "../../src/agents/agent.js";
import { inheritedRunSettings } from "../../src/agents/deployer.js";
import { registrationOf } from "../../src/cli/commands/register.js";
import type { FlowRun } from "../../src/client/index.js";
import type { AnyFlow } from "../../src/core/flow.js";
import { loadFlows } from "../../src/core/load.js";
import { createLogger } from "../../src/core/logger.js";
import { createEcsDeployer } from "../../src/platforms/aws/ecs-agent.js";
import { KubernetesDeployer, compileKubernetesAgentOptions } from "../../src/platforms/kubernetes/kubernetes-agent.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL } from "../../src/platforms/kubernetes/names.js";
import { LocalStorage } from "../../src/storage/local/index.js";
import { testConfig, waitForRun } from "../agents/support.js";
import { KNOWN_IMAGE } from "../platforms/kubernetes/fixtures/agent-flows.js";
import { SLUICE_FROM_SOURCE } from "../platforms/kubernetes/fixtures/k8s-flow.js";
import { sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../support/ecs/index.js";
import { kubeTarget, type KubeObject, type KubeTarget } from "../support/kube/index.js";
import { serviceSuite, serviceUnavailable } from "../support/services.js";
import { MISSING_ECS_IMAGE } from "./fixtures/ecs-flows.js";
import { buildUi, launchBrowser, newPage, screenshot } from "./support.js";

const T = { timeout: 240_000 };
const K8S_FLOWS = fileURLToPath(new URL("../platforms/kubernetes/fixtures/agent-flows.ts", import.meta.url));
const ECS_FLOWS = fileURLToPath(new URL("./fixtures/ecs-flows.ts", import.meta.url));

/** A server in this process (it serves the built UI), an agent of `label`, and the flows of `module` registered. */
interface Deployed {
  server: TestServer;
  home: string;
  flowIds: Map<string, string>;
  agent?: Agent;
}

async function startServerWithFlows(label: string, module: string): Promise<Deployed> {
  const home = await mkdtemp(join(tmpdir(), `sluice-ui-${label}-`));
  const server = await startTestServer(target, { home });
  const flowIds = new Map<string, string>();
  const flows: AnyFlow[] = await loadFlows(module);
  for (const flow of flows) {
    const storage = new LocalStorage();
    storage.addFlow(flow);
    flowIds.set(flow.name, (await server.client.registerFlow(registrationOf(flow, storage, [label]))).flowId);
  }
  return { server, home, flowIds };
}

async function stopDeployed(deployed: Deployed | undefined): Promise<void> {
  await deployed?.agent?.stop({ stopRuns: true });
  await deployed?.server.close();
  if (deployed) await rm(deployed.home, { recursive: true, force: true });
}

async function createRun(deployed: Deployed, flowName: string): Promise<FlowRun> {
  const flowId = deployed.flowIds.get(flowName);
  assert.ok(flowId, `flow ${flowName} is registered`);
  return deployed.server.client.createFlowRun({ flowId, parameters: {} });
}

/** Waits for the run to end and checks it ended Failed. */
async function failedRun(deployed: Deployed, run: FlowRun): Promise<void> {
  const ended = await waitForRun(deployed.server.client, run.id, undefined, 120_000);
  assert.equal(ended.state.name, "Failed", ended.state.message);
}

/** Opens the run's page and answers its failure panel once it shows `reason`. */
async function failurePanel(page: Page, deployed: Deployed, runId: string, reason: RegExp): Promise<Locator> {
  await page.goto(`${deployed.server.server.url}/runs/${runId}`);
  await page.locator(".run-header .badge[data-state='Failed']").waitFor();
  const failure = page.getByTestId("failure");
  await failure.locator(".reason", { hasText: reason }).first().waitFor();
  return failure;
}

/** The texts of the failure panel's error lines, once they are shown. */
async function errorLines(failure: Locator): Promise<string[]> {
  const lines = failure.getByTestId("error-lines").locator(".log-line .msg");
  await lines.first().waitFor();
  return lines.allInnerTexts();
}

const target = sqliteTarget();
let browser: Browser | undefined;
let page: Page;
const openBrowser = async (): Promise<void> => {
  buildUi();
  browser ??= await launchBrowser();
  page = await newPage(browser);
  page.setDefaultTimeout(60_000);
};
after(async () => {
  await browser?.close();
  await target.cleanup();
});

// Every service is probed before the first suite starts: its set-up builds the UI synchronously, and a
// probe waiting meanwhile would time out.
await Promise.all((["chromium", "docker"] as const).map((s) => serviceUnavailable(s)));

await serviceSuite(["chromium"], "web UI: why a Kubernetes run failed (Kubernetes agent, stand-in)", () => {
  const LABEL = "ui-k8s";
  let deployed: Deployed | undefined;
  let cluster: KubeTarget | undefined;

  before(
    async () => {
      await openBrowser();
      deployed = await startServerWithFlows(LABEL, K8S_FLOWS);
      cluster = await kubeTarget({ standin: { runner: "process", knownImages: [KNOWN_IMAGE] }, namespacePrefix: "sluice-ui-k8s" });
      const config = testConfig(deployed.server.server.url, deployed.home, {
        SLUICE__AGENT__NAME: "ui-k8s-agent",
        SLUICE__AGENT__LABELS: LABEL,
        SLUICE__KUBERNETES__KUBECONFIG: cluster.kubeconfigPath,
        SLUICE__KUBERNETES__NAMESPACE: cluster.namespace,
        SLUICE__LOGGING__LEVEL: "info",
      });
      const deployer = new KubernetesDeployer(compileKubernetesAgentOptions(config, { sluiceCommand: SLUICE_FROM_SOURCE, env: inheritedRunSettings(config) }));
      deployed.agent = new Agent({ deployer, client: deployed.server.client, config, logger: createLogger({ level: "silent" }) });
      await deployed.agent.start();
    },
    { timeout: 240_000 },
  );
  after(async () => {
    await stopDeployed(deployed);
    await cluster?.close();
  });

  it("an image that cannot be pulled: the page shows the reason, the container's state and the pod's events", T, async () => {
    const run = await createRun(deployed!, "k8s-missing-image");
    await failedRun(deployed!, run);

    const failure = await failurePanel(
      page,
      deployed!,
      run.id,
      /^Kubernetes: container flow-run of pod sluice-run-\S+ cannot start: (ErrImagePull|ImagePullBackOff)/,
    );
    assert.match(await failure.locator(".reason").first().innerText(), /sluice-test\/does-not-exist:1/);
    const lines = await errorLines(failure);
    assert.ok(
      lines.some((l) =>
        /^Pod sluice-run-\S+, container flow-run \(image sluice-test\/does-not-exist:1, 0 restarts\): waiting, reason (ErrImagePull|ImagePullBackOff)/.test(l),
      ),
      lines.join("\n"),
    );
    // The pod's events, which the agent logs at DEBUG level while the pod is pending.
    const events = failure.getByTestId("infra-events");
    await events.locator(".log-line", { hasText: /Pulling: Pulling image "sluice-test\/does-not-exist:1"/ }).waitFor();
    assert.ok((await events.locator(".log-line", { hasText: /: Scheduled: / }).count()) >= 1, "the Scheduled event is shown");
    await screenshot(page, "run-failed-kubernetes");
  });

  it("a container killed for memory: the page shows OOMKilled and exit code 137", T, async (t) => {
    const hooks = cluster!.requireHooks(t, "OOM-kills a container");
    if (!hooks) return;
    const run = await createRun(deployed!, "k8s-slow");
    const pod = await cluster!.view.waitFor(
      () =>
        cluster!.view
          .pods()
          .find(
            (p: KubeObject) =>
              p.metadata.labels?.[FLOW_RUN_ID_LABEL] === run.id && p.metadata.labels?.[CREATED_BY_LABEL] !== "agent" && p.status?.phase === "Running",
          ),
      120_000,
    );
    await waitForRun(deployed!.server.client, run.id, ["Running"], 60_000);
    await hooks.oomKill(pod.metadata.name!, { namespace: cluster!.namespace });
    await failedRun(deployed!, run);

    const failure = await failurePanel(page, deployed!, run.id, /ran out of memory and was killed \(OOMKilled, exit code 137\)/);
    assert.match(await failure.locator(".reason").first().innerText(), /\(reason: OOMKilled\)$/);
    const lines = await errorLines(failure);
    assert.ok(
      lines.some((l) => new RegExp(`^Pod ${pod.metadata.name!}, container flow-container .*terminated with exit code 137, reason OOMKilled`).test(l)),
      lines.join("\n"),
    );
  });
});

await ecsSuite(["chromium", "docker"], "web UI: why an ECS run failed (ECS agent, stand-in)", () => {
  const LABEL = "ui-ecs";
  let deployed: Deployed | undefined;
  let standin: EcsStandin | undefined;

  before(
    async () => {
      await openBrowser();
      deployed = await startServerWithFlows(LABEL, ECS_FLOWS);
      standin = await startEcsStandin({ logGroups: ["/ecs/sluice-ui"] });
      const config = testConfig(deployed.server.server.url, deployed.home, {
        SLUICE__AGENT__NAME: "ui-ecs-agent",
        SLUICE__AGENT__LABELS: LABEL,
        SLUICE__AWS__ENDPOINT: standin.endpoint,
        SLUICE__AWS__REGION_NAME: standin.region,
        SLUICE__AWS__AWS_ACCESS_KEY_ID: "AKIAUITESTINFRA00001",
        SLUICE__AWS__AWS_SECRET_ACCESS_KEY: "ui-infra-test-secret",
        SLUICE__AWS__SUBNETS: "subnet-0ui",
        SLUICE__AWS__EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        SLUICE__AWS__LOG_GROUP: "/ecs/sluice-ui",
        SLUICE__AWS__POLL_INTERVAL_MS: "200",
      });
      const logger = createLogger({ level: "silent" });
      deployed.agent = new Agent({ deployer: await createEcsDeployer({ config, logger }), client: deployed.server.client, config, logger });
      await deployed.agent.start();
    },
    { timeout: 240_000 },
  );
  after(async () => {
    await stopDeployed(deployed);
    await standin?.close();
  });

  it("an image that cannot be pulled: the page shows ECS's stop reason", T, async () => {
    const undo = standin!.faults.missingImage(MISSING_ECS_IMAGE);
    try {
      const run = await createRun(deployed!, "ui-ecs-missing-image");
      await failedRun(deployed!, run);
      const failure = await failurePanel(page, deployed!, run.id, /^ECS: ImagePull: .*CannotPullContainerError/);
      assert.match(await failure.locator(".reason").first().innerText(), /never-pushed:1/);
      const lines = await errorLines(failure);
      assert.ok(
        lines.some((l) => /^ECS: ImagePull: .*CannotPullContainerError/.test(l)),
        lines.join("\n"),
      );
      await screenshot(page, "run-failed-ecs");
    } finally {
      undo();
    }
  });

  it("no capacity for the task: the page shows RunTask's failure", T, async () => {
    standin!.faults.capacity(1);
    const run = await createRun(deployed!, "ui-ecs-no-capacity");
    await failedRun(deployed!, run);
    await failurePanel(page, deployed!, run.id, /ECS: Capacity: RunTask started no task: \S+: RESOURCE:MEMORY/);
  });
});
