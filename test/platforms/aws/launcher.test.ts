/**
 * The ECS client wrapper, the registrar and the watcher against the ECS stand-in: the real SDK, real
 * HTTP, requests checked against the official models, tasks run as Docker containers.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { type SluiceError } from "../../../src/core/errors.js";
import { RedactedCredentials, resolveAwsAccess } from "../../../src/platforms/aws/credentials.js";
import { familyFor } from "../../../src/platforms/aws/definition-compare.js";
import { DefinitionRegistrar } from "../../../src/platforms/aws/definition-registrar.js";
import { createEcsApi, type EcsApi } from "../../../src/platforms/aws/ecs-client.js";
import { splitFargateOptions } from "../../../src/platforms/aws/options.js";
import { buildRunTaskInput } from "../../../src/platforms/aws/run-task.js";
import { buildTaskDefinition } from "../../../src/platforms/aws/task-definition.js";
import { startTask, watchTask } from "../../../src/platforms/aws/task-watcher.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../../support/ecs/index.js";
import { services } from "../../support/services.js";

const net = { awsvpcConfiguration: { subnets: ["subnet-0a"], assignPublicIp: "DISABLED" } };
const logConfiguration = {
  logDriver: "awslogs",
  options: { "awslogs-group": "/ecs/sluice-launcher", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "sluice" },
};

await ecsSuite(["docker"], "AWS platform against the ECS stand-in", () => {
  let standin: EcsStandin;
  let api: EcsApi;

  before(async () => {
    // Only the key resolved below is accepted: every call of these tests proves the wrapper signs with it.
    standin = await startEcsStandin({ logGroups: ["/ecs/sluice-launcher"], acceptedAccessKeyIds: ["AKIALAUNCHERTEST0001"] });
    const access = resolveAwsAccess({}, { awsAccessKeyId: "AKIALAUNCHERTEST0001", awsSecretAccessKey: "launcher-secret", regionName: standin.region });
    api = await createEcsApi({ endpoint: standin.endpoint, region: access.region, credentials: access.credentials, maxAttempts: 1 });
  });
  after(async () => {
    api.close();
    await standin.close();
  });

  /** The definition the environment would register for `script` (node -e), with a derived family. */
  function definitionFor(name: string, script: string, extra: Record<string, unknown> = {}) {
    const { taskDefinition, environment } = splitFargateOptions({
      executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
      containerDefinitions: [{ logConfiguration }],
      ...extra,
    });
    const spec = buildTaskDefinition({
      options: taskDefinition,
      launchType: environment.launchType,
      image: services.nodeImage,
      command: ["node", "-e", script],
      env: { SLUICE__API__URL: "http://127.0.0.1:1" },
    });
    return { ...spec, family: spec.family ?? familyFor(name, spec as Record<string, unknown>) } as Record<string, unknown>;
  }

  async function runAndWatch(definition: Record<string, unknown>, watch: Partial<Parameters<typeof watchTask>[0]> = {}) {
    const registrar = new DefinitionRegistrar(api);
    const registered = await registrar.ensure(definition);
    const request = buildRunTaskInput({
      options: splitFargateOptions({ networkConfiguration: net }).runTask,
      taskDefinition: registered.arn,
      networkMode: "awsvpc",
      launchType: "FARGATE",
      flowRunId: "run-1",
      runEnv: { SLUICE__CONTEXT__FLOW_RUN_ID: "run-1" },
    });
    const started = await startTask(api, request as unknown as Record<string, unknown>);
    assert.ok(started.taskArn, JSON.stringify(started.failure));
    const statuses: string[] = [];
    const result = await watchTask({
      api,
      taskArn: started.taskArn,
      definition: registered.definition,
      pollIntervalMs: 100,
      onStatus: (s) => statuses.push(s),
      ...watch,
    });
    return { ...result, statuses, taskArn: started.taskArn };
  }

  it("twenty concurrent callers register one revision; the described definition (with AWS's fill-ins) is then reused", async () => {
    const definition = definitionFor("concurrent flow", "0");
    const registrar = new DefinitionRegistrar(api);
    const results = await Promise.all(Array.from({ length: 20 }, () => registrar.ensure(structuredClone(definition))));
    const registers = standin.received.filter((r) => r.operation === "RegisterTaskDefinition" && (r.body as { family: string }).family === definition.family);
    assert.equal(registers.length, 1);
    assert.equal(new Set(results.map((r) => r.arn)).size, 1);
    assert.equal(results.filter((r) => r.registered).length, 20, "they all shared the one registration");
    const again = await new DefinitionRegistrar(api).ensure(structuredClone(definition));
    assert.equal(again.registered, false);
    assert.equal(again.arn, results[0]!.arn);
    assert.equal(standin.definitions(definition.family as string).length, 1);
    assert.ok(standin.received.every((r) => r.accessKeyId === "AKIALAUNCHERTEST0001"));
    const body = JSON.stringify(registers[0]!.body);
    assert.ok(!body.includes("launcher-secret"), "no credential in a task definition");
  });

  it("a family named by the user whose registered revision differs fails with the diff", async () => {
    const first = definitionFor("named", "0", { family: "sluice-launcher-named", memory: "1024" });
    await new DefinitionRegistrar(api).ensure(first);
    const second = definitionFor("named", "0", { family: "sluice-launcher-named", memory: "2048" });
    await assert.rejects(
      new DefinitionRegistrar(api).ensure(second),
      (e: SluiceError) => e.code === "CONFLICT" && /memory: registered "1024", this flow "2048"/.test(e.message),
    );
  });

  it("retries a throttled registration with backoff, then gives up with the reason", async () => {
    standin.faults.throttleRegister(3);
    const definition = definitionFor("throttled", "0");
    const delays: number[] = [];
    const registrar = new DefinitionRegistrar(api, { baseDelayMs: 20, random: () => 0.5 });
    const original = registrar.delayFor.bind(registrar);
    registrar.delayFor = (attempt) => {
      const d = original(attempt);
      delays.push(d);
      return d;
    };
    const done = await registrar.ensure(definition);
    assert.equal(done.registered, true);
    assert.deepEqual(delays, [10, 20, 40], "exponential, with jitter from the random source");
    const throttled = standin.received.filter((r) => r.operation === "RegisterTaskDefinition" && r.errorType === "ThrottlingException");
    assert.equal(throttled.length, 3);
    standin.faults.throttleRegister(5);
    await assert.rejects(
      new DefinitionRegistrar(api, { attempts: 2, baseDelayMs: 1 }).ensure(definitionFor("throttled-out", "0")),
      (e: SluiceError) => e.code === "DEPLOY_FAILED" && /after 2 throttled attempts: ThrottlingException: Too many concurrent attempts/.test(e.message),
    );
    standin.faults.throttleRegister(0);
  });

  it("watches a task to success through its statuses", async () => {
    const r = await runAndWatch(definitionFor("ok", "console.log('fine')"));
    assert.equal(r.failure, undefined);
    const order = ["PROVISIONING", "PENDING", "RUNNING", "DEPROVISIONING", "STOPPED"];
    const indices = r.statuses.map((s) => order.indexOf(s));
    assert.ok(
      indices.every((i, k) => i >= 0 && (k === 0 || i > indices[k - 1]!)),
      `statuses in lifecycle order: ${r.statuses.join(", ")}`,
    );
    assert.equal(r.statuses.at(-1), "STOPPED");
    if (r.statuses.includes("RUNNING")) assert.ok(r.runningAfterMs! >= 0);
    assert.deepEqual(r.logTail, []);
    const tags = standin.task(r.taskArn)!.tags as { key: string; value: string }[];
    assert.deepEqual(tags, [{ key: "sluice.io/flow-run-id", value: "run-1" }]);
  });

  it("a failing container: EssentialContainerExited with the tail of its CloudWatch stream", async () => {
    const r = await runAndWatch(
      definitionFor(
        "fails",
        "for (let i = 0; i < 80; i++) console.log('line ' + i); console.log('boom: ' + process.env.SLUICE__CONTEXT__FLOW_RUN_ID); process.exit(2)",
      ),
    );
    assert.equal(r.failure?.reason, "EssentialContainerExited");
    assert.match(r.failure!.message, /flow-container exited with code 2/);
    assert.equal(r.logTail.length, 1);
    assert.equal(r.logTail[0]!.lines.length, 50);
    assert.equal(r.logTail[0]!.lines.at(-1), "boom: run-1");
  });

  it("out of memory: OOMKilled", async () => {
    const r = await runAndWatch(
      definitionFor("oom", "const a = []; setInterval(() => a.push(Buffer.alloc(16 * 1024 * 1024, 1)), 20)", {
        containerDefinitions: [{ logConfiguration, memory: 64 }],
      }),
    );
    assert.equal(r.failure?.reason, "OOMKilled");
  });

  it("an image that cannot be pulled: ImagePull", async () => {
    const restore = standin.faults.missingImage(services.nodeImage);
    try {
      const r = await runAndWatch(definitionFor("pull", "0"));
      assert.equal(r.failure?.reason, "ImagePull");
      assert.match(r.failure!.message, /CannotPullContainerError/);
    } finally {
      restore();
    }
  });

  it("no capacity: RunTask's failures become a Capacity failure", async () => {
    const registered = await new DefinitionRegistrar(api).ensure(definitionFor("cap", "0"));
    standin.faults.capacity(1);
    const request = buildRunTaskInput({
      options: { networkConfiguration: net as never },
      taskDefinition: registered.arn,
      networkMode: "awsvpc",
      launchType: "FARGATE",
      flowRunId: "run-cap",
      runEnv: {},
    });
    const started = await startTask(api, request as unknown as Record<string, unknown>);
    assert.equal(started.failure?.reason, "Capacity");
    assert.match(started.failure!.message, /Capacity is unavailable/);
  });

  it("stuck in PROVISIONING past the deadline: stopped, ProvisioningTimeout", async () => {
    standin.faults.stuckInProvisioning(1);
    const r = await runAndWatch(definitionFor("stuck", "0"), { startDeadlineMs: 600 });
    assert.equal(r.failure?.reason, "ProvisioningTimeout");
    assert.equal(r.task?.lastStatus, "STOPPED");
    assert.ok(standin.received.some((q) => q.operation === "StopTask" && (q.body as { task: string }).task === r.taskArn));
  });

  it("cancelling stops the task: StoppedByUser", async () => {
    const controller = new AbortController();
    const definition = definitionFor("cancel", "process.on('SIGTERM', () => process.exit(143)); console.log('up'); setInterval(() => {}, 1000)");
    const watching = runAndWatch(definition, { signal: controller.signal });
    await standin.waitFor(() =>
      standin.tasks().find((t) => (t.taskDefinitionArn as string).includes(definition.family as string) && standin.output(t.taskArn as string).includes("up")),
    );
    controller.abort();
    const r = await watching;
    assert.equal(r.failure?.reason, "StoppedByUser");
    assert.match(r.failure!.message, /the flow run was cancelled/);
    assert.equal(standin.task(r.taskArn)!.lastStatus, "STOPPED");
  });

  it("launchFlowTask: registers once, runs with the run's variables as overrides, watches to the end", async () => {
    const { launchFlowTask, planTaskDefinition, splitRunEnv } = await import("../../../src/platforms/aws/fargate-launch.js");
    const options = splitFargateOptions({
      executionRoleArn: "ecsTaskExecutionRole",
      containerDefinitions: [{ logConfiguration }],
      networkConfiguration: net,
      startedBy: "sluice-test",
    });
    const { shared, perRun } = splitRunEnv({ SLUICE__API__URL: "http://127.0.0.1:1", SLUICE__API__KEY: "per-run-key", SLUICE__CONTEXT__FLOW_RUN_ID: "run-77" });
    const definition = planTaskDefinition({
      options,
      flowName: "launch",
      image: services.nodeImage,
      command: [
        "node",
        "-e",
        "console.log('run', process.env.SLUICE__CONTEXT__FLOW_RUN_ID, process.env.SLUICE__API__URL, process.env.SLUICE__API__KEY.split('').reverse().join(''))",
      ],
      sharedEnv: shared,
    });
    const started: string[] = [];
    const out = await launchFlowTask({
      api,
      registrar: new DefinitionRegistrar(api),
      options,
      definition,
      flowRunId: "run-77",
      perRunEnv: perRun,
      watch: { pollIntervalMs: 100 },
      onStarted: (arn) => started.push(arn),
    });
    assert.equal(out.stage, "watched");
    assert.equal(out.failure, undefined);
    assert.deepEqual(started, [out.taskArn]);
    assert.match(standin.output(out.taskArn!), /run run-77 http:\/\/127\.0\.0\.1:1 yek-nur-rep/);
    const registered = standin.received.find((r) => r.operation === "RegisterTaskDefinition" && (r.body as { family: string }).family === definition.family);
    assert.ok(registered && !JSON.stringify(registered.body).includes("per-run-key"), "the API key is not in the task definition");
    const task = standin.task(out.taskArn!)!;
    assert.equal(task.startedBy, "sluice-test");
    assert.deepEqual(task.tags, [{ key: "sluice.io/flow-run-id", value: "run-77" }]);
  });

  it("the credentials holder never reaches a request body", () => {
    const held = new RedactedCredentials({ accessKeyId: "AKIALAUNCHERTEST0001", secretAccessKey: "launcher-secret" });
    assert.equal(JSON.stringify(held), '"[redacted]"');
    assert.ok(standin.received.every((r) => !JSON.stringify(r.body).includes("launcher-secret")));
  });
});
