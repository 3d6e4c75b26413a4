/**
 * FargateTaskEnvironment against the ECS stand-in: setup registers or reuses the definition, execute runs
 * the task with the run's variables and follows it to the end, failures are logged on the run with the
 * task's log tail, and credentials never leave the redacted holder.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { defaultConfig } from "../../../src/config/defaults.js";
import type { SluiceConfig } from "../../../src/config/schema.js";
import type { RunEvent } from "../../../src/core/events.js";
import { type SluiceError } from "../../../src/core/errors.js";
// Through the package, as users import it (it also loads the executor registry the run() checks need).
import { FargateTaskEnvironment } from "sluice";
import { runEnvironmentConformance } from "../../../src/testing/environment-suite.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../../support/ecs/index.js";
import { services } from "../../support/services.js";

const net = { awsvpcConfiguration: { subnets: ["subnet-0a"], assignPublicIp: "DISABLED" } };
const logConfiguration = {
  logDriver: "awslogs",
  options: { "awslogs-group": "/ecs/sluice-env", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "sluice" },
};
const flow = (name: string) =>
  ({
    name,
    run: async () => {
      throw new Error("not run here");
    },
  }) as never;

// The common contract (labels, metadata, executor, serialize, the deserialized stand-in, run()'s hooks).
// The suite's execute() check expects a run that finishes in this process; FargateTaskEnvironment's
// execute() launches an ECS task and is checked against the stand-in below.
runEnvironmentConformance("fargate-task", {
  type: "FargateTaskEnvironment",
  create: (options) => new FargateTaskEnvironment({ ...options }),
  fields: { launchType: "FARGATE" },
});

it("construction: unknown keys and bad values fail before any call; serialize() and inspect() show no credential", () => {
  assert.throws(
    () => new FargateTaskEnvironment({ clustr: "x" }),
    (e: SluiceError) => e.code === "INVALID_OPTION" && e.field === "clustr" && /did you mean "cluster"/.test(e.message),
  );
  assert.throws(
    () => new FargateTaskEnvironment({ memory: "lots" }),
    (e: SluiceError) => e.field === "memory",
  );
  const env = new FargateTaskEnvironment({
    awsAccessKeyId: "AKIASERIALIZE000001",
    awsSecretAccessKey: "serialize-secret",
    awsSessionToken: "serialize-token",
    cluster: "c",
    labels: ["aws"],
  });
  const texts = [JSON.stringify(env.serialize()), inspect(env, { depth: 10, showHidden: true }), JSON.stringify(env)];
  for (const text of texts) assert.ok(!/serialize-secret|serialize-token|AKIASERIALIZE/.test(text), text);
  assert.deepEqual(env.serialize().labels, ["aws"]);
  assert.equal(env.serialize().launchType, "FARGATE");
});

await ecsSuite(["docker"], "FargateTaskEnvironment against the ECS stand-in", () => {
  let standin: EcsStandin;
  let config: SluiceConfig;

  before(async () => {
    standin = await startEcsStandin({ logGroups: ["/ecs/sluice-env"], acceptedAccessKeyIds: ["AKIAFROMCONFIG00001"] });
    const base = defaultConfig();
    // The AWS section as the configuration would give it (from AWS_ACCESS_KEY_ID etc.).
    config = {
      ...base,
      api: { ...base.api, url: "http://127.0.0.1:1", key: "the-api-key" },
      aws: { awsAccessKeyId: "AKIAFROMCONFIG00001", awsSecretAccessKey: "config-secret", regionName: standin.region },
    } as SluiceConfig;
  });
  after(async () => {
    await standin.close();
  });

  const environment = (script: string, extra: Record<string, unknown> = {}) =>
    new FargateTaskEnvironment({
      endpoint: standin.endpoint,
      executionRoleArn: "ecsTaskExecutionRole",
      containerDefinitions: [{ logConfiguration }],
      networkConfiguration: net,
      sluiceCommand: ["node", "-e", script],
      pollIntervalMs: 100,
      metadata: { image: services.nodeImage },
      ...extra,
    });

  it("setup registers the definition once; execute runs the task with the run's variables and Sluice's entry", async () => {
    const env = environment(
      "console.log('args', process.argv.slice(1).join(' ')); console.log('run', process.env.SLUICE__CONTEXT__FLOW_RUN_ID, process.env.SLUICE__API__KEY.length)",
    );
    // Stage "deploy" calls setup then execute with the same options.
    await env.setup(flow("env-ok"), { config, flowRunId: "run-env-1", flowId: "flow-1" });
    await env.setup(flow("env-ok"), { config, flowRunId: "run-env-1", flowId: "flow-1" });
    const events: RunEvent[] = [];
    const result = await env.execute(flow("env-ok"), { config, flowRunId: "run-env-1", flowId: "flow-1", observers: [(e) => events.push(e)] });
    assert.equal(result.kind, "launched");
    const registers = standin.received.filter((r) => r.operation === "RegisterTaskDefinition");
    assert.equal(registers.length, 1, "one registration for setup, setup again and execute");
    assert.ok(!JSON.stringify(registers[0]!.body).includes("the-api-key"), "the API key is not in the definition");
    assert.ok(
      standin.received.every((r) => r.accessKeyId === "AKIAFROMCONFIG00001"),
      "credentials from the configuration",
    );
    const taskArn = (result as unknown as { resources: { taskArn: string } }).resources.taskArn;
    const output = standin.output(taskArn);
    assert.match(output, /args execute flow-run --stage run/);
    assert.match(output, /run run-env-1 11/);
    assert.ok(events.some((e) => e.type === "log" && /started ECS task/.test(e.record.message)));
  });

  it("a failing task fails execute with its reason, logged on the run with the log tail", async () => {
    const env = environment("console.log('about to fail'); process.exit(4)");
    const events: RunEvent[] = [];
    await assert.rejects(
      env.execute(flow("env-fail"), { config, flowRunId: "run-env-2", observers: [(e) => events.push(e)] }),
      (e: SluiceError) => e.code === "DEPLOY_FAILED" && /EssentialContainerExited: .*exited with code 4/.test(e.message),
    );
    const errors = events.filter((e) => e.type === "log" && e.record.level === "error").map((e) => (e as { record: { message: string } }).record.message);
    assert.ok(
      errors.some((m) => /last \d+ lines of \/ecs\/sluice-env sluice\/flow-container\/[0-9a-f]{32}:\nabout to fail/.test(m)),
      errors.join("\n---\n"),
    );
    assert.ok(errors.some((m) => /EssentialContainerExited/.test(m)));
  });

  it("cancelling stops the task", async () => {
    const env = environment("process.on('SIGTERM', () => process.exit(143)); console.log('up'); setInterval(() => {}, 1000)");
    const controller = new AbortController();
    const running = env.execute(flow("env-cancel"), { config, flowRunId: "run-env-3", signal: controller.signal });
    await standin.waitFor(() =>
      standin.tasks().find((t) => (t.tags as { value: string }[]).some((x) => x.value === "run-env-3") && standin.output(t.taskArn as string).includes("up")),
    );
    controller.abort();
    await assert.rejects(running, (e: SluiceError) => /StoppedByUser/.test(e.message));
    const task = standin.tasks().find((t) => (t.tags as { value: string }[]).some((x) => x.value === "run-env-3"))!;
    assert.equal(task.lastStatus, "STOPPED");
    assert.equal(task.stopCode, "UserInitiated");
  });

  it("without its own cluster the task goes to the configured one (aws.cluster); its own cluster wins", async () => {
    standin.createCluster("from-config");
    standin.createCluster("its-own");
    const configured = { ...config, aws: { ...config.aws, cluster: "from-config" } } as SluiceConfig;
    const clusterOf = (flowRunId: string) =>
      (standin.received.find((r) => r.operation === "RunTask" && JSON.stringify(r.body).includes(flowRunId))?.body as { cluster?: string }).cluster;
    await environment("console.log('in the configured cluster')").execute(flow("env-cluster"), { config: configured, flowRunId: "run-env-4" });
    assert.equal(clusterOf("run-env-4"), "from-config");
    await environment("console.log('in its own cluster')", { cluster: "its-own" }).execute(flow("env-cluster"), { config: configured, flowRunId: "run-env-5" });
    assert.equal(clusterOf("run-env-5"), "its-own");
    const arns = standin.tasks().map((t) => t.taskArn as string);
    assert.ok(arns.some((a) => a.includes(":task/from-config/")) && arns.some((a) => a.includes(":task/its-own/")), arns.join("\n"));
  });

  it("no credential in any request body sent to ECS", () => {
    for (const r of standin.received) assert.ok(!/config-secret/.test(JSON.stringify(r.body)));
  });
});
