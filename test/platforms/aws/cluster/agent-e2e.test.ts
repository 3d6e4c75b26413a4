/**
 * CloudClusterEnvironment through the server and the ECS agent, against the ECS stand-in with real
 * containers: the agent's task runs stage "deploy" (the cluster's scheduler), which starts the run's
 * broker and worker tasks from inside that task, with the stand-in's endpoint and credentials given to it
 * as a deployment gives them, in the variables of the agent's task definition.
 *
 * - A run succeeds with its task runs on the worker tasks, and leaves no task running.
 * - The scheduler's container SIGKILLed mid-run: the run ends Failed naming the killed task's exit, and the
 *   agent stops the broker and the workers the scheduler left behind.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../../../../src/agents/agent.js";
import { inheritedRunSettings } from "../../../../src/agents/deployer.js";
import { followedEnvironmentTypes } from "../../../../src/agents/registry.js";
import { registrationOf } from "../../../../src/cli/registration.js";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import { createLogger } from "../../../../src/core/logger.js";
import { compileEcsAgentOptions, EcsDeployer } from "../../../../src/platforms/aws/ecs-agent.js";
import { FLOW_RUN_ID_TAG } from "../../../../src/platforms/aws/names.js";
import { testConfig, waitFor, waitForRun } from "../../../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../../server/support.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../../../support/ecs/index.js";
import { removeImage, services } from "../../../support/services.js";
import { held, storage, summed } from "./fixtures/agent-flows.js";

const LABEL = "cloudcluster-agent-e2e";
type Tag = { key: string; value: string };
type Json = Record<string, unknown>;

await ecsSuite(["docker", "registry"], "CloudClusterEnvironment through the server and the ECS agent (ECS stand-in)", () => {
  const target = sqliteTarget();
  let server: TestServer;
  let standin: EcsStandin;
  let home: string;
  let agent: Agent;
  const flowIds = new Map<string, string>();

  before(
    async () => {
      home = await mkdtemp(join(tmpdir(), "cloudcluster-agent-e2e-"));
      server = await startTestServer(target, { home });
      standin = await startEcsStandin({ timings: { stopTimeoutMs: 3000 } });
      for (const f of [summed, held]) storage.addFlow(f);
      await storage.build({ config: configSchema().parse({ docker: { baseImage: services.nodeImage } }) });
      const aws = {
        SLUICE__AWS__ENDPOINT: standin.endpoint,
        SLUICE__AWS__REGION_NAME: standin.region,
        SLUICE__AWS__AWS_ACCESS_KEY_ID: standin.credentials.accessKeyId,
        SLUICE__AWS__AWS_SECRET_ACCESS_KEY: standin.credentials.secretAccessKey,
      };
      const config: SluiceConfig = testConfig(server.server.url, home, {
        SLUICE__AGENT__NAME: "cloudcluster-agent-e2e",
        SLUICE__AGENT__LABELS: LABEL,
        SLUICE__LOGGING__LEVEL: "info",
        SLUICE__AWS__SUBNETS: "subnet-agent-e2e",
        SLUICE__AWS__POLL_INTERVAL_MS: "200",
        ...aws,
      });
      // The scheduler in the agent's task reaches ECS as a deployment's would: from its task definition's variables.
      const deployer = new EcsDeployer(
        compileEcsAgentOptions(config, { env: { ...inheritedRunSettings(config), ...aws }, inTaskTypes: followedEnvironmentTypes("ecs") }),
      );
      agent = new Agent({ deployer, client: server.client, config, logger: createLogger({ level: "silent" }) });
      await agent.start();
      for (const f of [summed, held]) flowIds.set(f.name, (await server.client.registerFlow(registrationOf(f, storage, [LABEL]))).flowId);
    },
    { timeout: 900_000 },
  );
  after(async () => {
    await agent?.stop({ stopRuns: true });
    await standin?.close();
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
    await removeImage(storage.image);
  });

  const tasksOf = (flowRunId: string) =>
    standin.tasks().filter((t) => (t.tags as Tag[] | undefined)?.some((x) => x.key === FLOW_RUN_ID_TAG && x.value === flowRunId));
  const roleOf = (t: Json) => (t.tags as Tag[]).find((x) => x.key === "sluice.io/cluster-role")?.value ?? "scheduler";
  const describe = (flowRunId: string) => tasksOf(flowRunId).map((t) => `${roleOf(t)} ${String(t.lastStatus)}`);
  const logsOf = async (flowRunId: string) => (await server.client.readLogs(flowRunId)).items.map((l) => `${l.level} ${l.message}`);
  /** Within the next moments every task of the run is stopped. */
  const noneLeft = (flowRunId: string) =>
    standin
      .waitFor(() => tasksOf(flowRunId).every((t) => t.lastStatus === "STOPPED"), 60_000)
      .catch(() => assert.fail(`tasks of run ${flowRunId} still running: ${describe(flowRunId).join(", ")}`));

  it("a run: the agent's task (stage deploy) starts the broker and 2 workers, the run succeeds and leaves no task", { timeout: 400_000 }, async () => {
    const run = await server.client.createFlowRun({ flowId: flowIds.get(summed.name)!, parameters: { n: 12, workers: 2 } });
    const done = await waitForRun(server.client, run.id, undefined, 300_000);
    const logs = await logsOf(run.id);
    assert.equal(done.state.name, "Success", `${done.state.message}\n${logs.join("\n")}`);
    const totalLine = logs.find((l) => l.startsWith("info cluster total 650 on "));
    assert.ok(totalLine, `the total of the squares of 1..12 is logged:\n${logs.join("\n")}`);
    const spread = totalLine.slice("info cluster total 650 on ".length).split(",");
    assert.ok(!spread.includes("none"), `every square ran on a worker task: ${spread.join(",")}`);
    const tasks = tasksOf(run.id);
    assert.deepEqual(tasks.map((t) => roleOf(t)).sort(), ["broker", "scheduler", "worker", "worker"], describe(run.id).join(", "));
    const scheduler = tasks.find((t) => roleOf(t) === "scheduler")!;
    const definition = standin.received
      .filter((r) => r.operation === "RegisterTaskDefinition")
      .map((r) => r.body as { containerDefinitions: { command?: string[] }[] })
      .find((b) => b.containerDefinitions[0]?.command?.includes("flow-run"));
    assert.deepEqual(definition?.containerDefinitions[0]?.command?.slice(-2), ["--stage", "deploy"], "the agent's task runs stage deploy");
    assert.match(String(scheduler.taskDefinitionArn), /task-definition\//);
    await noneLeft(run.id);
  });

  it(
    "the scheduler's container SIGKILLed mid-run: the run ends Failed with the reason and the agent stops the broker and workers",
    { timeout: 400_000 },
    async () => {
      const run = await server.client.createFlowRun({ flowId: flowIds.get(held.name)!, parameters: { n: 4, workers: 2 } });
      // Mid-run: the workers hold task runs (their log lines reached the server).
      await standin.waitFor(() => tasksOf(run.id).filter((t) => roleOf(t) === "worker" && t.lastStatus === "RUNNING").length === 2, 240_000);
      const deadline = Date.now() + 120_000;
      while (!(await logsOf(run.id)).some((l) => l.includes("CLUSTER-HOLDING"))) {
        assert.ok(Date.now() < deadline, `no task run started on the cluster:\n${(await logsOf(run.id)).join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const scheduler = tasksOf(run.id).find((t) => roleOf(t) === "scheduler")!;
      const container = (scheduler.containers as Json[])[0]!.runtimeId as string;
      const { default: Docker } = await import("dockerode");
      await new Docker({ socketPath: services.dockerSocket }).getContainer(container).kill({ signal: "SIGKILL" });

      const done = await waitForRun(server.client, run.id, undefined, 120_000);
      const logs = await logsOf(run.id);
      assert.equal(done.state.name, "Failed", `${done.state.message}\n${logs.join("\n")}`);
      assert.match(done.state.message ?? "", /ECS: EssentialContainerExited: .*exited with code 137/, "the reason names the killed task's exit");
      await noneLeft(run.id);
      // The agent's log line about them follows the stop; it reaches the server a moment later.
      const said = await waitFor("the agent's line about the tasks it stopped", async () =>
        (await logsOf(run.id)).find((l) => /ECS: stopped \d+ task\(s\) the run left running/.test(l)),
      ).catch(async () => assert.fail(`the agent says what it stopped:\n${(await logsOf(run.id)).join("\n")}`));
      assert.match(said, /stopped 3 task\(s\)/, "the broker and the 2 workers");
    },
  );
});
