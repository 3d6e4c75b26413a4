/**
 * The agent's polling loop against a real server: atomic claims (three agents racing for 100 runs deploy
 * each exactly once), the label rule, deploy errors, and capacity. The deployer here records what it is
 * given; the local and Docker deployers have their own tests.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../src/agents/agent.js";
import type { Deployer, Deployment } from "../../src/agents/deployer.js";
import type { ClaimedFlowRun } from "../../src/client/index.js";
import { createLogger } from "../../src/core/logger.js";
import { postgresTarget, sqliteTarget, startTestServer, type DatabaseTarget, type TestServer } from "../server/support.js";
import { serviceSuite } from "../support/services.js";
import { registerFixture, sleep, testConfig, waitFor, waitForRun } from "./support.js";

const quiet = createLogger({ level: "silent" });

/** A deployer that records each run it is given (and fails or holds runs when told to). */
class RecordingDeployer implements Deployer {
  readonly kind = "recording";
  readonly deployed: ClaimedFlowRun[] = [];
  constructor(private readonly behaviour: { fail?: string; hold?: Promise<void>; delayMs?: number } = {}) {}
  async deploy(run: ClaimedFlowRun): Promise<Deployment> {
    if (this.behaviour.delayMs) await sleep(this.behaviour.delayMs);
    if (this.behaviour.fail) throw new Error(this.behaviour.fail);
    this.deployed.push(run);
    return { description: "recorded", ...(this.behaviour.hold ? { done: this.behaviour.hold } : {}) };
  }
}

function agentsSuite(target: DatabaseTarget): void {
  let server: TestServer;
  let home: string;
  const agents: Agent[] = [];
  const start = async (deployer: Deployer, env: Record<string, string>): Promise<Agent> => {
    const agent = new Agent({ deployer, client: server.client, config: testConfig(server.server.url, home, env), logger: quiet });
    agents.push(agent);
    await agent.start();
    return agent;
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-agents-"));
    server = await startTestServer(target);
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await server.close();
    await target.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it("three agents racing for 100 runs deploy each exactly once", async () => {
    const flowId = await registerFixture(server.client, "agent-squares", ["race"]);
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) ids.add((await server.client.createFlowRun({ flowId, parameters: { n: 1 } })).id);
    const deployers = [new RecordingDeployer({ delayMs: 2 }), new RecordingDeployer({ delayMs: 2 }), new RecordingDeployer({ delayMs: 2 })];
    await Promise.all(
      deployers.map((d, i) => start(d, { SLUICE__AGENT__NAME: `racer-${i}`, SLUICE__AGENT__LABELS: "race", SLUICE__AGENT__MAX_CONCURRENT_RUNS: "7" })),
    );
    await waitFor("100 deploys", () => (deployers.reduce((n, d) => n + d.deployed.length, 0) >= 100 ? true : undefined), 60_000);
    await sleep(300); // a double deploy would show up by now
    const all = deployers.flatMap((d) => d.deployed.map((r) => r.flowRun.id));
    assert.equal(all.length, 100, "no run was deployed twice");
    assert.deepEqual(new Set(all), ids, "every run was deployed");
    assert.ok(deployers.filter((d) => d.deployed.length > 0).length >= 2, `the agents shared the work: ${deployers.map((d) => d.deployed.length).join(", ")}`);
    const submitted = await server.client.listFlowRuns({ flowId, state: ["Submitted"], limit: 1000 });
    assert.equal(submitted.items.length, 100);
    for (const run of submitted.items) {
      const owner = deployers.findIndex((d) => d.deployed.some((r) => r.flowRun.id === run.id));
      assert.equal(run.agentId, agents[owner]!.identity.id, "the server recorded the agent that deployed the run");
    }
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });

  it("an idle agent waits on the server for work: a run created while it waits is claimed at once, not at the next poll", async () => {
    const flowId = await registerFixture(server.client, "agent-squares", ["longpoll"]);
    const deployer = new RecordingDeployer();
    // Polling alone would come back only after a minute; the long poll answers when the run is created.
    const agent = await start(deployer, {
      SLUICE__AGENT__NAME: "long-poller",
      SLUICE__AGENT__LABELS: "longpoll",
      SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "60000",
      SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "60000",
    });
    await sleep(500); // its first claim found nothing: it now waits on the server
    const created = await server.client.createFlowRun({ flowId, parameters: { n: 1 } });
    await waitFor("the run claimed by the waiting agent", () => (deployer.deployed.some((r) => r.flowRun.id === created.id) ? true : undefined), 15_000);
    const stopping = Date.now();
    await agent.stop();
    assert.ok(Date.now() - stopping < 15_000, "stopping cuts the long poll short");
    agents.splice(agents.indexOf(agent), 1);
  });

  it("follows the label rule: the agent's labels include all of the run's; unlabelled runs only to agents that take them", async () => {
    const flowId = await registerFixture(server.client, "agent-squares");
    const create = async (labels: string[]) => (await server.client.createFlowRun({ flowId, parameters: { n: 1 }, labels })).id;
    const gpuRun = await create(["gpu"]);
    const bothRun = await create(["gpu", "linux"]);
    const plainRun = await create([]);
    const windowsRun = await create(["windows"]);
    const wide = new RecordingDeployer();
    const narrow = new RecordingDeployer();
    const plain = new RecordingDeployer();
    await start(wide, { SLUICE__AGENT__NAME: "labels-wide", SLUICE__AGENT__LABELS: "gpu,linux" });
    await start(narrow, { SLUICE__AGENT__NAME: "labels-narrow", SLUICE__AGENT__LABELS: "linux" });
    await start(plain, { SLUICE__AGENT__NAME: "labels-none" });
    await waitFor("the labelled runs to be claimed", () => (wide.deployed.length + plain.deployed.length >= 3 ? true : undefined));
    await sleep(500);
    const ids = (d: RecordingDeployer) => d.deployed.map((r) => r.flowRun.id).sort();
    assert.deepEqual(ids(wide), [gpuRun, bothRun].sort(), "gpu,linux covers [gpu] and [gpu, linux]");
    assert.deepEqual(ids(narrow), [], "linux alone covers neither, and an agent with labels takes no unlabelled run by default");
    assert.deepEqual(ids(plain), [plainRun], "the unlabelled run goes to the agent without labels");
    assert.equal((await server.client.getFlowRun(windowsRun)).state.name, "Scheduled", "no agent fits [windows]");
    await server.client.cancelFlowRun(windowsRun);
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });

  it("an agent with labels takes unlabelled runs when told to (--accept-unlabelled)", async () => {
    const flowId = await registerFixture(server.client, "agent-squares");
    const run = (await server.client.createFlowRun({ flowId, parameters: { n: 1 }, labels: [] })).id;
    const deployer = new RecordingDeployer();
    await start(deployer, { SLUICE__AGENT__NAME: "labels-accepting", SLUICE__AGENT__LABELS: "gpu", SLUICE__AGENT__ACCEPT_UNLABELLED: "true" });
    await waitFor("the unlabelled run", () => (deployer.deployed.some((r) => r.flowRun.id === run) ? true : undefined));
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });

  it("a deploy error writes an ERROR log line on the run and fails it with the message", async () => {
    const flowId = await registerFixture(server.client, "agent-squares", ["broken"]);
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 1 } });
    const agent = await start(new RecordingDeployer({ fail: "the launcher is out of order" }), {
      SLUICE__AGENT__NAME: "broken",
      SLUICE__AGENT__LABELS: "broken",
    });
    const failed = await waitForRun(server.client, run.id);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, /Deploying flow run .* with agent broken \(recording\) failed: the launcher is out of order/);
    const errors = (await server.client.readLogs(run.id, { level: "error" })).items;
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.message, failed.state.message);
    assert.equal(agent.deployFailures, 1);
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });

  it("gives each deployment the run contract: the agent's server URL and API key, the run and flow ids", async () => {
    const flowId = await registerFixture(server.client, "agent-squares", ["contract"]);
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 1 } });
    const envs: Record<string, string>[] = [];
    const deployer: Deployer = {
      kind: "contract",
      deploy: (claimed, ctx) => {
        envs.push(ctx.runEnv(claimed, { image: "img:1", flowFilePath: "/flows/x.mjs", env: { SLUICE__CONTEXT__NAMESPACE: "mine" } }));
        return Promise.resolve({ description: "checked" });
      },
    };
    await start(deployer, { SLUICE__AGENT__NAME: "contract", SLUICE__AGENT__LABELS: "contract", SLUICE__API__KEY: "the-agents-key" });
    await waitFor("the deploy", () => (envs.length > 0 ? true : undefined));
    assert.deepEqual(envs[0], {
      SLUICE__CONTEXT__NAMESPACE: "mine",
      SLUICE__API__URL: server.server.url,
      SLUICE__API__KEY: "the-agents-key",
      SLUICE__CONTEXT__FLOW_RUN_ID: run.id,
      SLUICE__CONTEXT__FLOW_ID: flowId,
      SLUICE__CONTEXT__IMAGE: "img:1",
      SLUICE__CONTEXT__FLOW_FILE_PATH: "/flows/x.mjs",
      SLUICE__API__USE_LOCAL_SECRETS: "false",
      SLUICE__ENGINE__FLOW_RUNNER: "default",
      SLUICE__ENGINE__TASK_RUNNER: "default",
      SLUICE__ENGINE__EXECUTOR: "local",
      SLUICE__LOGGING__LEVEL: "warn",
      SLUICE__LOGGING__SEND_TO_API: "true",
      SLUICE__LOGGING__EXTRA_LOGGERS: "",
    });
    const deployedLine = (await server.client.readLogs(run.id)).items.map((l) => l.message);
    assert.deepEqual(deployedLine, ["Deployed by agent contract (contract): checked"]);
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });

  it("claims no more runs than agent.maxConcurrentRuns while deployments are running", async () => {
    const flowId = await registerFixture(server.client, "agent-squares", ["capacity"]);
    for (let i = 0; i < 5; i++) await server.client.createFlowRun({ flowId, parameters: { n: 1 } });
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const deployer = new RecordingDeployer({ hold });
    const agent = await start(deployer, { SLUICE__AGENT__NAME: "capacity", SLUICE__AGENT__LABELS: "capacity", SLUICE__AGENT__MAX_CONCURRENT_RUNS: "2" });
    await waitFor("two deploys", () => (deployer.deployed.length === 2 ? true : undefined));
    await sleep(500);
    assert.equal(deployer.deployed.length, 2, "the agent waits for a free slot");
    assert.equal(agent.inFlight, 2);
    release();
    await waitFor("all five deploys", () => (deployer.deployed.length === 5 ? true : undefined));
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });
}

describe("Agent loop on SQLite", { timeout: 120_000 }, () => agentsSuite(sqliteTarget()));
void serviceSuite(["postgres"], "Agent loop on PostgreSQL", () => agentsSuite(postgresTarget()));
