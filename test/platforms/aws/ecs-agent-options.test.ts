/**
 * The ECS agent's options from `config.aws`: flags' keys become validated AWS options, defaults apply,
 * an API key secret and awslogs need the execution role, and the launch type of a run is its
 * environment's own when it names one.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config/load.js";
import type { SluiceError } from "../../../src/core/errors.js";
import { compileEcsAgentOptions, launchTypeOf } from "../../../src/platforms/aws/ecs-agent.js";

const config = (env: Record<string, string>) => loadConfig({ file: false, env });

it("defaults: Fargate, no network, polling every 5 s, stage run in the task for Fargate flows (the agent adds the in-process kinds)", () => {
  const o = compileEcsAgentOptions(config({}));
  assert.equal(o.launchType, "FARGATE");
  assert.equal(o.pollIntervalMs, 5_000);
  assert.equal(o.startDeadlineMs, 600_000);
  assert.deepEqual(o.sluiceCommand, ["sluice"]);
  assert.deepEqual([...o.inTaskTypes].sort(), ["FargateTaskEnvironment"]);
  assert.equal(o.aws.FARGATE.runTask.networkConfiguration, undefined);
  assert.equal(o.aws.EC2.taskDefinition.memory, "512");
});

it("the flags' keys become the tasks' cluster, network, roles, awslogs and the API key secret", () => {
  const o = compileEcsAgentOptions(
    config({
      SLUICE__AWS__CLUSTER: "prod",
      SLUICE__AWS__LAUNCH_TYPE: "EC2",
      SLUICE__AWS__SUBNETS: "subnet-a, subnet-b",
      SLUICE__AWS__SECURITY_GROUPS: "sg-1",
      SLUICE__AWS__ASSIGN_PUBLIC_IP: "true",
      SLUICE__AWS__TASK_ROLE_ARN: "arn:aws:iam::123456789012:role/flow",
      SLUICE__AWS__EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:role/exec",
      SLUICE__AWS__API_KEY_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:sluice-key",
      SLUICE__AWS__LOG_GROUP: "/ecs/sluice",
    }),
  );
  assert.equal(o.launchType, "EC2");
  for (const lt of ["FARGATE", "EC2"] as const) {
    const a = o.aws[lt];
    assert.equal(a.runTask.cluster, "prod");
    assert.deepEqual(a.runTask.networkConfiguration, {
      awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-1"], assignPublicIp: "ENABLED" },
    });
    assert.equal(a.taskDefinition.taskRoleArn, "arn:aws:iam::123456789012:role/flow");
    assert.equal(a.taskDefinition.executionRoleArn, "arn:aws:iam::123456789012:role/exec");
    const c = a.taskDefinition.containerDefinitions![0]!;
    assert.deepEqual(c.secrets, [{ name: "SLUICE__API__KEY", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:sluice-key" }]);
    assert.equal((c.logConfiguration as { options: Record<string, string> }).options["awslogs-group"], "/ecs/sluice");
  }
  assert.equal(o.aws.EC2.taskDefinition.networkMode, "awsvpc");
  assert.equal(o.apiKeySecretArn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:sluice-key");
});

it("a launch type other than FARGATE or EC2 fails naming the key; the case does not matter", () => {
  assert.throws(
    () => compileEcsAgentOptions(config({ SLUICE__AWS__LAUNCH_TYPE: "SPOT" })),
    (e: SluiceError) => e.code === "CONFIG_INVALID" && e.field === "aws.launchType" && /"SPOT": use FARGATE or EC2/.test(e.message),
  );
  assert.equal(compileEcsAgentOptions(config({ SLUICE__AWS__LAUNCH_TYPE: "ec2" })).launchType, "EC2");
});

it("an API key secret or a log group without the execution role fails naming the key", () => {
  assert.throws(
    () => compileEcsAgentOptions(config({ SLUICE__AWS__API_KEY_SECRET_ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/k" })),
    (e: SluiceError) => e.code === "CONFIG_INVALID" && e.field === "aws.apiKeySecretArn" && /--execution-role-arn/.test(e.message),
  );
  assert.throws(
    () => compileEcsAgentOptions(config({ SLUICE__AWS__LOG_GROUP: "/ecs/x" })),
    (e: SluiceError) => e.field === "aws.logGroup",
  );
});

it("a run's launch type: its FargateTaskEnvironment's own, else the agent's", () => {
  const run = (environment: Record<string, unknown>) => ({ flow: { environment } }) as never;
  assert.equal(launchTypeOf(run({ type: "FargateTaskEnvironment", launchType: "EC2" }), "FARGATE"), "EC2");
  assert.equal(launchTypeOf(run({ type: "LocalEnvironment" }), "EC2"), "EC2");
  assert.equal(launchTypeOf(run({ type: "LocalEnvironment" }), "FARGATE"), "FARGATE");
});

it("the agent's task size (--cpu, --memory) goes to every task definition it registers; a bad size fails naming its key", () => {
  const o = compileEcsAgentOptions(config({ SLUICE__AWS__CPU: "1024", SLUICE__AWS__MEMORY: "2048" }));
  for (const lt of ["FARGATE", "EC2"] as const) {
    assert.deepEqual([o.aws[lt].taskDefinition.cpu, o.aws[lt].taskDefinition.memory], ["1024", "2048"], lt);
  }
  assert.equal(compileEcsAgentOptions(config({})).aws.FARGATE.taskDefinition.memory, undefined, "Fargate's smallest size when none is given");
  assert.throws(
    () => compileEcsAgentOptions(config({ SLUICE__AWS__MEMORY: "lots" })),
    (e: SluiceError) => e.code === "CONFIG_INVALID" && e.field === "aws.memory" && /lots/.test(e.message),
  );
});
