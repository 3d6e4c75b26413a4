/**
 * End to end: the real server (SQLite), the ECS agent pointed at the ECS stand-in through configuration,
 * and the two-task flow on FargateTaskEnvironment in a Docker storage image pushed to the test registry.
 * A run is one ECS task running stage "run" and ends Success with its task runs and logs in the server;
 * a missing image fails the run with the reason; cancelling stops the task; the AWS secret access key
 * given to the agent is in no log line, no database row and not in the serialized flow. Faults injected
 * in the stand-in end the run Failed with the reason ECS gives (out of memory, no capacity on Fargate and
 * on EC2, stuck in PROVISIONING past the environment's start deadline); a run of an environment the agent
 * cannot run is refused at claim; twenty runs started at once, with registration throttled, share one
 * new task-definition revision. A flow whose environment was given AWS options (memory 1024, its network)
 * runs stage "deploy" in the agent's task, where the environment from the image launches its own task
 * with those options and the task role's credentials: a second task start, said on the run's log; a
 * restarted agent follows such a run by its own task, and cancelling it stops both tasks.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { DockerEnvironment, FargateTaskEnvironment, flow, task, type AnyFlow } from "sluice";
import { Agent } from "../../../src/agents/agent.js";
import { registrationOf } from "../../../src/cli/commands/register.js";
import { configSchema, type SluiceConfig } from "../../../src/config/schema.js";
import { createLogger } from "../../../src/core/logger.js";
import { allTaskRuns } from "../../../src/deployment/flow-run-entry.js";
import { createEcsDeployer } from "../../../src/platforms/aws/ecs-agent.js";
import { FLOW_RUN_ID_TAG } from "../../../src/platforms/aws/names.js";
import { testConfig, waitFor, waitForRun } from "../../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../server/support.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../../support/ecs/index.js";
import { removeImage, services } from "../../support/services.js";
import { sized, sizedSlow, slow, storage, twoTask } from "./fixtures/ecs-flows.js";

const LABEL = "ecs-e2e";
const ACCESS_KEY_ID = "AKIAECSAGENTE2E00001";
const SECRET = "ecsagent-e2e-Secret-9f3b27c1d4";
const LOG_GROUP = "/ecs/ecsagent-e2e";
const API_KEY = "ecsagent-e2e-api-key-5d1c";
const API_KEY_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecsagent-e2e-api-key";
const TASK_ROLE_ARN = "arn:aws:iam::123456789012:role/sluice-flow-launcher";
/** The agent's cluster: not the account's default, which the stand-in does not have (a task sent there fails). */
const CLUSTER = "sluice-e2e";

// Flows whose task never runs their code (refused, no capacity, stuck): they need not be in the image.
const never = task("never", async () => "not run");
/** An environment the ECS agent does not run: refused when claimed. */
const dockerFlow = flow("ecsagent refused flow", { environment: new DockerEnvironment() }, () => never());
/** Its start deadline reaches the agent through the serialized environment. */
const stuckFlow = flow("ecsagent stuck flow", { environment: new FargateTaskEnvironment({ startDeadlineMs: 3_000 }) }, () => never());
/** On EC2, where a capacity failure is RESOURCE:MEMORY. */
const ec2Flow = flow("ecsagent ec2 flow", { environment: new FargateTaskEnvironment({ launchType: "EC2" }) }, () => never());

await ecsSuite(["docker", "registry"], "the ECS agent end to end (server + agent + ECS stand-in)", () => {
  const target = sqliteTarget();
  let server: TestServer;
  let standin: EcsStandin;
  let home: string;
  let agent: Agent;
  let config: SluiceConfig;
  let logger: ReturnType<typeof createLogger>;
  const agentLines: string[] = [];
  const flowIds = new Map<string, string>();
  const serialized: string[] = [];

  before(
    async () => {
      home = await mkdtemp(join(tmpdir(), "ecsagent-e2e-"));
      server = await startTestServer(target, { home });
      // ECS's own default stop timeout (30 s between SIGTERM and SIGKILL): a stopped run's entry reports
      // Cancelled itself even on a loaded machine.
      standin = await startEcsStandin({
        clusters: [CLUSTER],
        logGroups: [LOG_GROUP],
        acceptedAccessKeyIds: [ACCESS_KEY_ID],
        secrets: { [API_KEY_ARN]: API_KEY },
        timings: { stopTimeoutMs: 30_000 },
      });
      for (const f of [twoTask, slow, sized, sizedSlow]) storage.addFlow(f);
      await storage.build({ config: configSchema().parse({ docker: { baseImage: services.nodeImage } }) });
      assert.ok(storage.image?.startsWith(`${services.registry}/ecsagent-e2e-flows:`), storage.image);
      config = agentConfig({});
      const destination = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          agentLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          callback();
        },
      });
      logger = createLogger({ level: "debug", destination });
      agent = new Agent({ deployer: await createEcsDeployer({ config, logger }), client: server.client, config, logger });
      await agent.start();
      for (const f of [twoTask, slow, sized, sizedSlow, dockerFlow, stuckFlow, ec2Flow] as AnyFlow[]) {
        const registration = registrationOf(f, storage, [LABEL]);
        serialized.push(JSON.stringify(registration));
        flowIds.set(f.name, (await server.client.registerFlow(registration)).flowId);
      }
    },
    { timeout: 900_000 },
  );
  const agentConfig = (extra: Record<string, string>): SluiceConfig =>
    testConfig(server.server.url, home, {
      SLUICE__AGENT__NAME: "ecsagent-e2e-agent",
      SLUICE__AGENT__LABELS: LABEL,
      SLUICE__LOGGING__LEVEL: "info",
      SLUICE__AWS__ENDPOINT: standin.endpoint,
      SLUICE__AWS__REGION_NAME: standin.region,
      SLUICE__AWS__AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      SLUICE__AWS__AWS_SECRET_ACCESS_KEY: SECRET,
      SLUICE__AWS__CLUSTER: CLUSTER,
      SLUICE__AWS__SUBNETS: "subnet-0e2e",
      SLUICE__AWS__EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
      SLUICE__AWS__TASK_ROLE_ARN: TASK_ROLE_ARN,
      SLUICE__AWS__LOG_GROUP: LOG_GROUP,
      SLUICE__AWS__POLL_INTERVAL_MS: "200",
      ...extra,
    });
  after(async () => {
    await agent?.stop({ stopRuns: true });
    await standin?.close();
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
    await removeImage(storage.image);
  });

  const start = async (flowName: string) => server.client.createFlowRun({ flowId: flowIds.get(flowName)!, parameters: {} });
  const tasksOf = (flowRunId: string) =>
    standin.tasks().filter((t) => (t.tags as { key: string; value: string }[] | undefined)?.some((x) => x.key === FLOW_RUN_ID_TAG && x.value === flowRunId));
  const messages = async (flowRunId: string, level?: "error") => (await server.client.readLogs(flowRunId, level ? { level } : {})).items.map((l) => l.message);

  it("the two-task Fargate flow runs in ONE ECS task (stage run) to Success, with task runs and logs in the server", { timeout: 300_000 }, async () => {
    const run = await start(twoTask.name);
    const done = await waitForRun(server.client, run.id, undefined, 240_000);
    assert.equal(done.state.name, "Success", `${done.state.message}\n${(await messages(run.id)).join("\n")}`);
    const taskRuns = await allTaskRuns(server.client, run.id);
    assert.deepEqual(taskRuns.map((t) => `${t.taskKey} ${t.state.name}`).sort(), ["get_value Success", "output_value Success"]);
    const tasks = tasksOf(run.id);
    assert.equal(tasks.length, 1, "one task for the run");
    const runTasks = standin.received.filter((r) => r.operation === "RunTask" && JSON.stringify(r.body).includes(run.id));
    assert.equal(runTasks.length, 1);
    const overrides = (runTasks[0]!.body as { overrides: { containerOverrides: { environment: { name: string; value: string }[] }[] } }).overrides
      .containerOverrides[0]!.environment;
    assert.equal(overrides.find((e) => e.name === "SLUICE__CONTEXT__FLOW_RUN_ID")?.value, run.id);
    const registered = standin.received.filter((r) => r.operation === "RegisterTaskDefinition" && r.status === 200);
    assert.equal(registered.length, 1);
    const container = (registered[0]!.body as { containerDefinitions: { image: string; command: string[] }[] }).containerDefinitions[0]!;
    assert.equal(container.image, storage.image);
    assert.deepEqual(container.command.slice(-4), ["execute", "flow-run", "--stage", "run"]);
    const lines = await messages(run.id);
    for (const expected of [
      /^Deployed by agent ecsagent-e2e-agent \(ecs\): started ECS task arn:aws:ecs:/,
      /^ECS: task arn:aws:ecs:\S+ RUNNING \d+ ms after the claim$/,
      /ECS-FLOW-OUTPUT Example!/,
    ]) {
      assert.ok(
        lines.some((m) => expected.test(m)),
        `a log line matching ${expected} in:\n${lines.join("\n")}`,
      );
    }
    // A second run of the same flow version reuses the definition.
    const again = await start(twoTask.name);
    assert.equal((await waitForRun(server.client, again.id, undefined, 240_000)).state.name, "Success");
    assert.equal(standin.received.filter((r) => r.operation === "RegisterTaskDefinition" && r.status === 200).length, 1, "no second revision");
  });

  it("a missing image fails the run with the reason", { timeout: 300_000 }, async () => {
    const undo = standin.faults.missingImage(storage.image!);
    try {
      const run = await start(twoTask.name);
      const done = await waitForRun(server.client, run.id, undefined, 120_000);
      assert.equal(done.state.name, "Failed");
      assert.match(done.state.message ?? "", /ECS: ImagePull: .*CannotPullContainerError/);
      assert.ok((await messages(run.id, "error")).some((m) => /ECS: ImagePull/.test(m)));
    } finally {
      undo();
    }
  });

  it("cancelling the run stops its task", { timeout: 300_000 }, async () => {
    const run = await start(slow.name);
    await waitFor("the flow sleeping", async () => ((await messages(run.id)).some((m) => m.includes("ECS-FLOW-SLEEPING")) ? true : undefined), 180_000);
    await server.client.cancelFlowRun(run.id);
    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    assert.equal(done.state.name, "Cancelled", done.state.message);
    const task = await waitFor("the task stopped", () => tasksOf(run.id).find((t) => t.lastStatus === "STOPPED"), 60_000);
    assert.ok(task);
    assert.ok(
      standin.received.some((r) => r.operation === "StopTask" && r.status === 200 && (r.body as { task?: string }).task === task.taskArn),
      "the agent called StopTask",
    );
  });

  it("a restarted agent finds the task of a running run by its tag, and stops it when the run is cancelled", { timeout: 300_000 }, async () => {
    const run = await start(slow.name);
    await waitFor("the flow sleeping", async () => ((await messages(run.id)).some((m) => m.includes("ECS-FLOW-SLEEPING")) ? true : undefined), 180_000);
    await agent.stop({ stopRuns: false });
    const taskArn = tasksOf(run.id)[0]!.taskArn as string;
    assert.equal(tasksOf(run.id)[0]!.lastStatus, "RUNNING", "the task outlived the agent");
    agent = new Agent({ deployer: await createEcsDeployer({ config, logger }), client: server.client, config, logger });
    await agent.start();
    await waitFor(
      "the new agent following the task",
      async () => ((await messages(run.id)).some((m) => m.startsWith(`ECS: agent ecsagent-e2e-agent follows task ${taskArn} again`)) ? true : undefined),
      30_000,
    );
    await server.client.cancelFlowRun(run.id);
    assert.equal((await waitForRun(server.client, run.id, undefined, 120_000)).state.name, "Cancelled");
    await waitFor("the task stopped", () => tasksOf(run.id).find((t) => t.lastStatus === "STOPPED"), 60_000);
    assert.ok(
      standin.received.some((r) => r.operation === "StopTask" && (r.body as { task?: string }).task === taskArn),
      "the new agent called StopTask",
    );
  });

  it("with --api-key-secret-arn the API key reaches the task as an ECS secret, never as a value", { timeout: 300_000 }, async () => {
    await agent.stop({ stopRuns: true });
    const secretConfig = agentConfig({ SLUICE__API__KEY: API_KEY, SLUICE__AWS__API_KEY_SECRET_ARN: API_KEY_ARN });
    agent = new Agent({ deployer: await createEcsDeployer({ config: secretConfig, logger }), client: server.client, config: secretConfig, logger });
    await agent.start();
    const run = await start(twoTask.name);
    const done = await waitForRun(server.client, run.id, undefined, 240_000);
    assert.equal(done.state.name, "Success", `${done.state.message}\n${(await messages(run.id)).join("\n")}`);
    const runTask = standin.received.find((r) => r.operation === "RunTask" && JSON.stringify(r.body).includes(run.id))!;
    const overrides = JSON.stringify(runTask.body);
    assert.ok(!overrides.includes("SLUICE__API__KEY") && !overrides.includes(API_KEY), overrides);
    const registers = standin.received.filter((r) => r.operation === "RegisterTaskDefinition" && r.status === 200);
    const withSecret = registers
      .map((r) => (r.body as { containerDefinitions: { secrets?: { name: string; valueFrom: string }[] }[] }).containerDefinitions[0]!.secrets)
      .find((x) => x !== undefined);
    assert.deepEqual(withSecret, [{ name: "SLUICE__API__KEY", valueFrom: API_KEY_ARN }]);
    for (const r of standin.received) assert.ok(!JSON.stringify(r.body).includes(API_KEY), `${r.operation} carries no API key value`);
  });

  const failedWith = async (flowName: string, pattern: RegExp) => {
    const run = await start(flowName);
    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    const errors = await messages(run.id, "error");
    assert.equal(done.state.name, "Failed", `${done.state.message}\n${errors.join("\n")}`);
    assert.match(done.state.message ?? "", pattern);
    return { run, errors };
  };

  it("a run whose environment the ECS agent cannot run is refused at claim: Failed naming why, no task started", { timeout: 120_000 }, async () => {
    const { run, errors } = await failedWith(
      dockerFlow.name,
      /a ecs agent cannot run flow "ecsagent refused flow": its environment DockerEnvironment .*route the flow/,
    );
    assert.ok(
      errors.some((m) => m.includes("cannot run flow")),
      errors.join("\n"),
    );
    assert.deepEqual(tasksOf(run.id), []);
    assert.ok(!standin.received.some((r) => r.operation === "RunTask" && JSON.stringify(r.body).includes(run.id)), "no RunTask");
  });

  it("a container killed for memory fails the run: OOMKilled, exit code 137, OutOfMemoryError", { timeout: 300_000 }, async () => {
    const run = await start(slow.name);
    await waitFor("the flow sleeping", async () => ((await messages(run.id)).some((m) => m.includes("ECS-FLOW-SLEEPING")) ? true : undefined), 180_000);
    await standin.faults.oomKill(tasksOf(run.id)[0]!.taskArn as string);
    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    assert.equal(done.state.name, "Failed");
    assert.match(done.state.message ?? "", /ECS: OOMKilled: .*exit code 137.*OutOfMemoryError: Container killed due to memory usage/);
    assert.ok((await messages(run.id, "error")).some((m) => m.startsWith("ECS: OOMKilled")));
  });

  it("RunTask's capacity failures fail the run with each reason: Fargate's and EC2's RESOURCE:MEMORY", { timeout: 120_000 }, async () => {
    standin.faults.capacity(1);
    const fargate = await failedWith(twoTask.name, /ECS: Capacity: RunTask started no task: .*Capacity is unavailable at this time/);
    assert.deepEqual(tasksOf(fargate.run.id), []);
    standin.faults.capacity(1);
    const ec2 = await failedWith(ec2Flow.name, /ECS: Capacity: RunTask started no task: arn:aws:ecs:\S+:container-instance\/\S+: RESOURCE:MEMORY/);
    const runTask = standin.received.find((r) => r.operation === "RunTask" && JSON.stringify(r.body).includes(ec2.run.id));
    assert.equal((runTask?.body as { launchType?: string }).launchType, "EC2", "the environment's launch type reached the agent");
  });

  it("a task stuck in PROVISIONING past the environment's start deadline is stopped and its run failed", { timeout: 120_000 }, async () => {
    standin.faults.stuckInProvisioning(1);
    const { run } = await failedWith(stuckFlow.name, /ECS: ProvisioningTimeout: /);
    const task = await waitFor("the stuck task stopped", () => tasksOf(run.id).find((t) => t.lastStatus === "STOPPED"), 30_000);
    assert.equal(task.stopCode, "UserInitiated");
    assert.ok(standin.received.some((r) => r.operation === "StopTask" && (r.body as { task?: string }).task === task.taskArn));
  });

  it("twenty runs started at once, registration throttled, share ONE new task-definition revision and all succeed", { timeout: 900_000 }, async () => {
    // A new version of the flow (a new flow id in the definition's variables): a definition not registered yet.
    const registration = registrationOf(twoTask, storage, [LABEL]);
    const { flowId, created } = await server.client.registerFlow({ ...registration, description: "the twenty-runs version" });
    assert.ok(created, "a new flow version");
    const registeredBefore = standin.received.filter((r) => r.operation === "RegisterTaskDefinition" && r.status === 200).length;
    standin.faults.throttleRegister(2);
    const runs = await Promise.all(Array.from({ length: 20 }, () => server.client.createFlowRun({ flowId, parameters: {} })));
    const done = await Promise.all(runs.map((r) => waitForRun(server.client, r.id, undefined, 840_000)));
    assert.deepEqual(
      done.filter((d) => d.state.name !== "Success").map((d) => `${d.id}: ${d.state.name} ${d.state.message ?? ""}`),
      [],
    );
    const registers = standin.received.filter((r) => r.operation === "RegisterTaskDefinition");
    assert.equal(registers.filter((r) => r.status === 200).length, registeredBefore + 1, "one new revision");
    assert.ok(
      registers.some((r) => r.errorType?.endsWith("ThrottlingException")),
      "the throttled registration was retried",
    );
    const definitions = new Set(
      standin.received
        .filter((r) => r.operation === "RunTask" && runs.some((run) => JSON.stringify(r.body).includes(run.id)))
        .map((r) => (r.body as { taskDefinition: string }).taskDefinition),
    );
    assert.equal(definitions.size, 1, [...definitions].join(", "));
    const family = [...definitions][0]!.split("/").pop()!.split(":")[0]!;
    const revisions = standin.definitions(family);
    assert.deepEqual(
      revisions.map((d) => d.revision),
      [1],
      "the family has one revision",
    );
    const environment = (revisions[0]!.containerDefinitions as { environment: { name: string; value: string }[] }[])[0]!.environment;
    assert.equal(environment.find((e) => e.name === "SLUICE__CONTEXT__FLOW_ID")?.value, flowId, "the definition is the new version's");
  });

  it(
    "a flow whose environment has AWS options runs stage deploy: its own task carries memory 1024, a second task start, Success with its logs",
    { timeout: 600_000 },
    async () => {
      const run = await start(sized.name);
      const done = await waitForRun(server.client, run.id, undefined, 480_000);
      const lines = await messages(run.id);
      assert.equal(done.state.name, "Success", `${done.state.message}\n${lines.join("\n")}`);
      const tasks = tasksOf(run.id);
      assert.equal(tasks.length, 2, "the agent's task (stage deploy) and the environment's own task (stage run)");
      const [deployTask, flowTask] = tasks as [Record<string, unknown>, Record<string, unknown>];
      for (const t of tasks) assert.match(t.taskArn as string, new RegExp(`:task/${CLUSTER}/`), "both in the agent's cluster");
      const definitionOf = (task: Record<string, unknown>) => {
        const [family, revision] = (task.taskDefinitionArn as string).split("/").pop()!.split(":");
        return standin.definitions(family!).find((d) => d.revision === Number(revision))!;
      };
      const commandOf = (task: Record<string, unknown>) => (definitionOf(task).containerDefinitions as { command: string[] }[])[0]!.command.slice(-4);
      assert.deepEqual(commandOf(deployTask), ["execute", "flow-run", "--stage", "deploy"]);
      assert.deepEqual(commandOf(flowTask), ["execute", "flow-run", "--stage", "run"]);
      assert.equal(definitionOf(flowTask).memory, "1024", "the environment's memory reached its task definition");
      assert.notEqual(definitionOf(deployTask).memory, "1024", "the agent's own task has the agent's size");
      const flowRunTask = standin.received.find(
        (r) => r.operation === "RunTask" && r.status === 200 && (r.body as { taskDefinition: string }).taskDefinition === flowTask.taskDefinitionArn,
      );
      assert.deepEqual(
        (flowRunTask?.body as { networkConfiguration?: { awsvpcConfiguration: { subnets: string[] } } }).networkConfiguration?.awsvpcConfiguration.subnets,
        ["subnet-0sized"],
        "the environment's network",
      );
      // The environment launched with the task role's credentials, never the agent's.
      const roleKey = standin.taskRoleAccessKeyId(deployTask.taskArn as string);
      assert.ok(roleKey?.startsWith("ASIA"), `the deploy task asked for its role's credentials: ${roleKey}`);
      assert.equal(flowRunTask?.accessKeyId, roleKey);
      for (const expected of [
        /^ECS: the FargateTaskEnvironment's options memory, networkConfiguration are only in the flow's image: its task runs stage "deploy".*a second task start/,
        /^FargateTaskEnvironment: started ECS task arn:aws:ecs:\S+ of arn:aws:ecs:\S+:task-definition\/sluice-ecsagent-sized-flow-\w+:1$/,
        /^Stage A of flow run \S+ on .*: loaded flow "ecsagent sized flow"/,
        /^Stage B of flow run \S+ on .*: loaded flow "ecsagent sized flow"/,
        /ECS-SIZED-OUTPUT ran in the environment's own task/,
      ]) {
        assert.ok(
          lines.some((m) => expected.test(m)),
          `a log line matching ${expected} in:\n${lines.join("\n")}`,
        );
      }
      const taskRuns = await allTaskRuns(server.client, run.id);
      assert.deepEqual(
        taskRuns.map((t) => `${t.taskKey} ${t.state.name}`),
        ["sized_task Success"],
      );
    },
  );

  it("a restarted agent follows a stage deploy run by its own task, not the environment's; cancelling stops both", { timeout: 400_000 }, async () => {
    const run = await start(sizedSlow.name);
    await waitFor("the flow sleeping", async () => ((await messages(run.id)).some((m) => m.includes("ECS-FLOW-SLEEPING")) ? true : undefined), 240_000);
    const [deployTask, flowTask] = tasksOf(run.id);
    assert.ok(deployTask && flowTask, "the agent's task and the environment's");
    await agent.stop({ stopRuns: false });
    agent = new Agent({ deployer: await createEcsDeployer({ config, logger }), client: server.client, config, logger });
    await agent.start();
    const follows = await waitFor(
      "the new agent following a task",
      async () => (await messages(run.id)).find((m) => m.startsWith("ECS: agent ecsagent-e2e-agent follows task ")),
      30_000,
    );
    assert.ok(follows.includes(deployTask.taskArn as string), `${follows}: the agent's own task ${deployTask.taskArn as string}`);
    await server.client.cancelFlowRun(run.id);
    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    assert.equal(done.state.name, "Cancelled", done.state.message);
    const stopped = await waitFor(
      "both tasks stopped",
      () => {
        const tasks = tasksOf(run.id);
        return tasks.every((t) => t.lastStatus === "STOPPED") ? tasks : undefined;
      },
      120_000,
    );
    assert.equal(stopped.length, 2);
  });

  it("the AWS secret access key is in no log line, no database row and not in the serialized flow", async () => {
    const found: string[] = [];
    if (agentLines.some((l) => l.includes(SECRET))) found.push("the agent's log");
    if (server.logs.some((l) => l.includes(SECRET))) found.push("the server's log");
    for (const [, flowId] of flowIds) {
      const runs = (await server.client.listFlowRuns({ flowId })).items;
      for (const r of runs) if ((await messages(r.id)).some((m) => m.includes(SECRET))) found.push(`the logs of run ${r.id}`);
    }
    if (serialized.some((s) => s.includes(SECRET))) found.push("the serialized flows");
    if (standin.received.some((r) => JSON.stringify(r.body).includes(SECRET))) found.push("a request body sent to ECS");
    const dbFile = server.databaseUrl.replace(/^sqlite:/, "");
    let scanned = 0;
    for (const name of await readdir(dirname(dbFile))) {
      const bytes = await readFile(join(dirname(dbFile), name));
      scanned += bytes.length;
      if (bytes.includes(SECRET)) found.push(`database file ${name}`);
    }
    assert.ok(scanned > 0, "the database files were read");
    assert.ok(agentLines.length > 0 && server.logs.length > 0, "there were log lines to scan");
    assert.deepEqual(found, []);
  });
});
