/**
 * The local agent against a real server: each run is a child process running
 * `sluice execute flow-run` (stage A); states, task states and logs arrive through the reporter; a child
 * that dies before its run finished fails the run; a flow that cannot load fails the run with the reason.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../../src/agents/agent.js";
import { LocalDeployer, conditionFlags } from "../../../src/platforms/local/local-agent.js";
import { inheritedEnv } from "../../../src/config/index.js";
import { createLogger } from "../../../src/core/logger.js";
import { allTaskRuns } from "../../../src/deployment/flow-run-entry.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../server/support.js";
import { SOURCE_ENV, registerFixture, testConfig, waitFor, waitForRun } from "../../agents/support.js";

const quiet = createLogger({ level: "silent" });

/** What a child needs besides the run contract: the source tree, this test's home and fast reporting. */
const childEnv = (home: string): Record<string, string | undefined> => ({
  ...inheritedEnv(),
  ...SOURCE_ENV,
  SLUICE__HOME: home,
  SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "500",
  SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "200",
  SLUICE__LOGGING__BATCH_INTERVAL_MS: "50",
  NODE_OPTIONS: undefined,
});

describe("conditionFlags", () => {
  it("keeps the export-condition flags a child needs to resolve 'sluice' like this process", () => {
    assert.deepEqual(conditionFlags(["--conditions=sluice-source", "--import", "tsx", "-C", "dev", "--inspect", "-Cx"]), [
      "--conditions=sluice-source",
      "-C",
      "dev",
      "-Cx",
    ]);
    assert.deepEqual(conditionFlags(["--conditions", "a", "--enable-source-maps"]), ["--conditions", "a"]);
  });
});

describe("local agent", { timeout: 180_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let home: string;
  let agent: Agent;
  let deployer: LocalDeployer;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-local-agent-"));
    server = await startTestServer(target, { home });
    deployer = new LocalDeployer({ env: childEnv(home), logDir: join(home, "agent-runs") });
    agent = new Agent({
      deployer,
      client: server.client,
      config: testConfig(server.server.url, home, { SLUICE__AGENT__NAME: "local-test", SLUICE__AGENT__LABELS: "local-test", SLUICE__LOGGING__LEVEL: "info" }),
      logger: quiet,
    });
    await agent.start();
  });
  after(async () => {
    await agent.stop({ stopRuns: true });
    await server.close();
    await target.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it("runs a registered flow to Success with every task state and log line on the server", async () => {
    const flowId = await registerFixture(server.client, "agent-squares", ["local-test"]);
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 3 } });
    const done = await waitForRun(server.client, run.id, undefined, 60_000);
    assert.equal(done.state.name, "Success", done.state.message);
    assert.deepEqual(
      (await server.client.listFlowRunStates(run.id)).map((s) => s.name),
      ["Scheduled", "Submitted", "Running", "Success"],
    );
    const taskRuns = await allTaskRuns(server.client, run.id);
    assert.deepEqual(taskRuns.map((t) => `${t.taskKey}[${t.mapIndex}] ${t.state.name}`).sort(), [
      "range[-1] Success",
      "square[-1] Mapped",
      "square[0] Success",
      "square[1] Success",
      "square[2] Success",
      "total[-1] Success",
    ]);
    assert.equal(taskRuns.find((t) => t.taskKey === "total")!.state.result, 14);
    const messages = (await server.client.readLogs(run.id)).items.map((l) => l.message);
    for (const expected of [
      /^Deployed by agent local-test \(local\): started process \d+/,
      /^Stage A of flow run .* loaded flow "agent-squares" from its LocalStorage/,
      /^making the range$/,
      /^squaring 3$/,
      /^the total is ready$/,
    ]) {
      assert.ok(
        messages.some((m) => expected.test(m)),
        `a log line matching ${expected} in:\n${messages.join("\n")}`,
      );
    }
    await waitFor("the child to exit", () => (deployer.children.size === 0 ? true : undefined));
  });

  it("a child that is killed before its run finished fails the run with the signal", async () => {
    const flowId = await registerFixture(server.client, "agent-slow", ["local-test"]);
    const run = await server.client.createFlowRun({ flowId, parameters: { ms: 60_000 } });
    await waitForRun(server.client, run.id, ["Running"], 60_000);
    const pid = await waitFor("the child's pid", () => deployer.children.get(run.id));
    process.kill(pid, "SIGKILL");
    const failed = await waitForRun(server.client, run.id, undefined, 20_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, new RegExp(`^The flow-run process \\(pid ${pid}\\) was killed by SIGKILL before the run finished`));
    const errors = (await server.client.readLogs(run.id, { level: "error" })).items.map((l) => l.message);
    assert.ok(
      errors.some((m) => m.includes("was killed by SIGKILL")),
      errors.join("\n"),
    );
  });

  it("a flow that cannot be loaded from its storage fails the run with the reason (once, by the run itself)", async () => {
    const registered = await server.client.registerFlow({
      name: "agent-missing-module",
      environment: { type: "LocalEnvironment", version: "0.1.0", labels: ["local-test"], metadata: {} },
      storage: {
        type: "LocalStorage",
        version: "0.1.0",
        flows: { "agent-missing-module": join(home, "nowhere.ts") },
        host: "elsewhere-host",
        validateHostname: false,
      },
    });
    const run = await server.client.createFlowRun({ flowId: registered.flowId });
    const failed = await waitForRun(server.client, run.id, undefined, 60_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, /flow "agent-missing-module" \(version 1\) could not be loaded from its LocalStorage: .*nowhere\.ts/);
    await waitFor("the child to exit", () => (deployer.children.has(run.id) ? undefined : true));
    const errors = (await server.client.readLogs(run.id, { level: "error" })).items.map((l) => l.message);
    assert.equal(errors.length, 1, `one ERROR line, not a second one from the agent:\n${errors.join("\n")}`);
  });

  it("a cancelled run stops: its process ends it Cancelled and exits", async () => {
    const flowId = await registerFixture(server.client, "agent-slow", ["local-test"]);
    const run = await server.client.createFlowRun({ flowId, parameters: { ms: 60_000 } });
    await waitForRun(server.client, run.id, ["Running"], 60_000);
    await waitFor("the task to run", async () => ((await allTaskRuns(server.client, run.id)).some((t) => t.state.name === "Running") ? true : undefined));
    const asked = Date.now();
    await server.client.cancelFlowRun(run.id);
    const cancelled = await waitForRun(server.client, run.id, undefined, 20_000);
    assert.equal(cancelled.state.name, "Cancelled");
    assert.ok(Date.now() - asked < 8000, `cancelled ${Date.now() - asked} ms after the request`);
    await waitFor("the child to exit", () => (deployer.children.has(run.id) ? undefined : true));
    assert.equal((await allTaskRuns(server.client, run.id))[0]!.state.name, "Cancelled");
  });
});

describe("local agent deploy errors", { timeout: 60_000 }, () => {
  it("a child that cannot be started fails the run with the reason", async () => {
    const target = sqliteTarget();
    const home = await mkdtemp(join(tmpdir(), "sluice-local-agent-"));
    const server = await startTestServer(target, { home });
    const agent = new Agent({
      deployer: new LocalDeployer({ command: [join(home, "no-such-sluice")], env: childEnv(home), logDir: join(home, "agent-runs") }),
      client: server.client,
      config: testConfig(server.server.url, home, { SLUICE__AGENT__NAME: "local-broken" }),
      logger: quiet,
    });
    try {
      const flowId = await registerFixture(server.client, "agent-squares");
      const run = await server.client.createFlowRun({ flowId, parameters: { n: 1 } });
      await agent.start();
      const failed = await waitForRun(server.client, run.id);
      assert.equal(failed.state.name, "Failed");
      assert.match(failed.state.message!, /with agent local-broken \(local\) failed: cannot start .*no-such-sluice for flow run .*: spawn .* ENOENT/);
    } finally {
      await agent.stop({ stopRuns: true });
      await server.close();
      await target.cleanup();
      await rm(home, { recursive: true, force: true });
    }
  });
});
