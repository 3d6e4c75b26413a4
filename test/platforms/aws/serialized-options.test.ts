/**
 * What the server knows of a FargateTaskEnvironment: launchType and every scalar, non-secret option given,
 * enough to rebuild it (round trip), the structured options only by name, never a credential; and how
 * the ECS agent turns that record into its launch (plan), with the agent's options under the
 * environment's.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config/load.js";
import { deserializeEnvironment } from "../../../src/core/environment.js";
import type { SluiceError } from "../../../src/core/errors.js";
import { agentLaunchPlan, compileEcsAgentOptions } from "../../../src/platforms/aws/ecs-agent.js";
import { FargateTaskEnvironment } from "../../../src/platforms/aws/fargate-task-environment.js";
import { fargateOptionsFromRecord } from "../../../src/platforms/aws/serialized-options.js";

const scalars = {
  launchType: "EC2",
  regionName: "eu-west-1",
  family: "etl-nightly",
  taskRoleArn: "arn:aws:iam::123456789012:role/flow",
  executionRoleArn: "arn:aws:iam::123456789012:role/exec",
  networkMode: "bridge",
  cpu: "1024",
  memory: "2048",
  pidMode: "task",
  ipcMode: "none",
  cluster: "batch",
  count: 1,
  startedBy: "nightly",
  group: "etl",
  platformVersion: "LATEST",
  enableECSManagedTags: true,
  propagateTags: "TASK_DEFINITION",
  pollIntervalMs: 1500,
  startDeadlineMs: 90_000,
} as const;
const credentials = { awsAccessKeyId: "AKIAROUNDTRIP000001", awsSecretAccessKey: "roundtrip-secret", awsSessionToken: "roundtrip-token" };

it("serializes launchType and every scalar option given, and rebuilds an equal environment from the record; no credential", () => {
  const env = new FargateTaskEnvironment({ ...scalars, ...credentials, labels: ["aws", "batch"], metadata: { image: "img:1" } });
  const record = JSON.parse(JSON.stringify(env.serialize())) as Record<string, unknown>;
  const text = JSON.stringify(record);
  for (const secret of Object.values(credentials)) assert.ok(!text.includes(secret), text);
  assert.equal(record.awsOptionsInImage, undefined, "nothing is left in the image only");
  const { options, inImage } = fargateOptionsFromRecord(record);
  assert.deepEqual(options, scalars);
  assert.deepEqual(inImage, []);
  const standIn = deserializeEnvironment(record);
  const rebuilt = new FargateTaskEnvironment({ ...options, labels: [...standIn.labels], metadata: standIn.metadata });
  assert.deepEqual(rebuilt.serialize(), env.serialize());
  assert.equal(rebuilt.startDeadlineMs, 90_000);
  assert.deepEqual(new FargateTaskEnvironment({}).serialize().launchType, "FARGATE");
  assert.deepEqual(
    Object.keys(new FargateTaskEnvironment({}).serialize()).sort(),
    ["labels", "launchType", "metadata", "type", "version"],
    "defaults add nothing",
  );
});

it("names the structured options (which stay in the image) without their values", () => {
  const env = new FargateTaskEnvironment({
    containerDefinitions: [{ environment: [{ name: "TOKEN_HINT", value: "do-not-serialize" }] }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-structured"] } },
    tags: [{ key: "team", value: "data" }],
    volumes: [{ name: "scratch" }],
  });
  const record = env.serialize();
  assert.equal(record.awsOptionsInImage, "containerDefinitions,networkConfiguration,tags,volumes");
  assert.doesNotMatch(JSON.stringify(record), /do-not-serialize|subnet-structured|scratch/);
  assert.deepEqual(fargateOptionsFromRecord(record).inImage, ["containerDefinitions", "networkConfiguration", "tags", "volumes"]);
  assert.throws(
    () => fargateOptionsFromRecord({ type: "FargateTaskEnvironment", cpu: { nested: 1 } }),
    (e: SluiceError) => e.code === "INVALID_INPUT" && e.field === "cpu",
  );
});

const claimed = (environment: Record<string, unknown>) =>
  ({ flowRun: { id: "run-1" }, flow: { name: "etl", environment: { version: "1", labels: [], metadata: {}, ...environment } } }) as never;

it("the agent's plan: the environment's scalar options over the agent's, stage run; structured options in the image make it stage deploy", () => {
  const agent = compileEcsAgentOptions(
    loadConfig({
      file: false,
      env: {
        SLUICE__AWS__CLUSTER: "agent-cluster",
        SLUICE__AWS__SUBNETS: "subnet-agent",
        SLUICE__AWS__EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:role/agent-exec",
        SLUICE__AWS__REGION_NAME: "eu-west-1",
        SLUICE__AWS__START_DEADLINE_MS: "300000",
      },
    }),
  );
  const env = new FargateTaskEnvironment({ cpu: 512, memory: "1024", family: "etl", cluster: "flow-cluster", startDeadlineMs: 45_000 });
  const plan = agentLaunchPlan(claimed(env.serialize()), agent);
  assert.equal(plan.stage, "run");
  assert.equal(plan.launchType, "FARGATE");
  assert.equal(plan.startDeadlineMs, 45_000);
  assert.deepEqual(
    {
      cpu: plan.aws.taskDefinition.cpu,
      memory: plan.aws.taskDefinition.memory,
      family: plan.aws.taskDefinition.family,
      exec: plan.aws.taskDefinition.executionRoleArn,
    },
    { cpu: "512", memory: "1024", family: "etl", exec: "arn:aws:iam::123456789012:role/agent-exec" },
  );
  assert.equal(plan.aws.runTask.cluster, "flow-cluster", "the environment's cluster wins");
  assert.deepEqual(plan.aws.runTask.networkConfiguration?.awsvpcConfiguration.subnets, ["subnet-agent"], "the agent's network stays");
  const local = agentLaunchPlan(claimed({ type: "LocalEnvironment" }), { ...agent, inTaskTypes: new Set(["FargateTaskEnvironment", "LocalEnvironment"]) });
  assert.deepEqual([local.stage, local.startDeadlineMs, local.aws.runTask.cluster], ["run", 300_000, "agent-cluster"]);
  const structured = new FargateTaskEnvironment({
    family: "etl-sidecar",
    cpu: 1024,
    containerDefinitions: [{}, { name: "sidecar", image: "envoy:1", memory: 64 }],
  });
  const deploy = agentLaunchPlan(claimed(structured.serialize()), agent);
  assert.deepEqual([deploy.stage, deploy.inImage], ["deploy", ["containerDefinitions"]]);
  assert.equal(deploy.aws, agent.aws.FARGATE, "the agent's own task (stage deploy) takes the agent's options, not the environment's family");
  assert.throws(
    () => agentLaunchPlan(claimed(new FargateTaskEnvironment({ regionName: "us-west-2" }).serialize()), agent),
    (e: SluiceError) => e.code === "DEPLOY_FAILED" && e.field === "regionName" && /REGION_NAME=us-west-2/.test(e.message),
  );
  assert.throws(
    () => agentLaunchPlan(claimed({ type: "FargateTaskEnvironment", launchType: "FARGATE", memory: "lots" }), agent),
    (e: SluiceError) => e.code === "DEPLOY_FAILED" && e.field === "memory" && /flow "etl"/.test(e.message),
  );
});
