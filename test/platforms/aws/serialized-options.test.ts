/**
 * What the server knows of a FargateTaskEnvironment: launchType, its region and Sluice's own scalars (poll
 * interval, start deadline), enough to rebuild those (round trip); every AWS option only by name, never its
 * value (not even a scalar such as cpu or a role ARN), and never a credential. And how the ECS agent turns
 * that record into its launch (plan): the agent's options, stage "run", unless AWS options live in the image.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../../src/config/load.js";
import { deserializeEnvironment } from "../../../src/core/environment.js";
import type { SluiceError } from "../../../src/core/errors.js";
import { agentLaunchPlan, compileEcsAgentOptions } from "../../../src/platforms/aws/ecs-agent.js";
import { FargateTaskEnvironment } from "../../../src/platforms/aws/fargate-task-environment.js";
import { fargateOptionsFromRecord } from "../../../src/platforms/aws/serialized-options.js";

const own = { launchType: "EC2", regionName: "eu-west-1", pollIntervalMs: 1500, startDeadlineMs: 90_000 } as const;
const awsScalars = {
  family: "etl-nightly",
  taskRoleArn: "arn:aws:iam::123456789012:role/flow",
  executionRoleArn: "arn:aws:iam::123456789012:role/exec",
  cpu: "1024",
  memory: "2048",
  cluster: "batch",
  startedBy: "nightly",
  group: "etl",
  platformVersion: "LATEST",
} as const;
const credentials = { awsAccessKeyId: "AKIAROUNDTRIP000001", awsSecretAccessKey: "roundtrip-secret", awsSessionToken: "roundtrip-token" };

it("serializes launchType, region and Sluice's own scalars, and rebuilds an equal environment from them; no credential", () => {
  const env = new FargateTaskEnvironment({ ...own, ...credentials, labels: ["aws", "batch"], metadata: { image: "img:1" } });
  const record = JSON.parse(JSON.stringify(env.serialize())) as Record<string, unknown>;
  const text = JSON.stringify(record);
  for (const secret of Object.values(credentials)) assert.ok(!text.includes(secret), text);
  assert.equal(record.awsOptionsInImage, undefined, "nothing is left in the image only");
  const { options, inImage } = fargateOptionsFromRecord(record);
  assert.deepEqual(options, own);
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

it("names every AWS option given, scalar or structured, without its value", () => {
  const env = new FargateTaskEnvironment({
    ...awsScalars,
    containerDefinitions: [{ environment: [{ name: "TOKEN_HINT", value: "do-not-serialize" }] }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-structured"] } },
    tags: [{ key: "team", value: "data" }],
    volumes: [{ name: "scratch" }],
  });
  const record = env.serialize();
  const names = [...Object.keys(awsScalars), "containerDefinitions", "networkConfiguration", "tags", "volumes"].sort();
  assert.equal(record.awsOptionsInImage, names.join(","));
  const text = JSON.stringify(record);
  for (const value of [...Object.values(awsScalars), "do-not-serialize", "subnet-structured", "scratch"]) {
    assert.ok(!text.includes(`"${value}"`), `${value} is not in the record: ${text}`);
  }
  assert.deepEqual(fargateOptionsFromRecord(record).inImage, names);
  assert.throws(
    () => fargateOptionsFromRecord({ type: "FargateTaskEnvironment", regionName: { nested: 1 } }),
    (e: SluiceError) => e.code === "INVALID_INPUT" && e.field === "regionName",
  );
});

const claimed = (environment: Record<string, unknown>) =>
  ({ flowRun: { id: "run-1" }, flow: { name: "etl", environment: { version: "1", labels: [], metadata: {}, ...environment } } }) as never;

it("the agent's plan: the agent's options and stage run; AWS options in the image make it stage deploy", () => {
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
  const plain = agentLaunchPlan(claimed(new FargateTaskEnvironment({ startDeadlineMs: 45_000 }).serialize()), agent);
  assert.deepEqual([plain.stage, plain.launchType, plain.startDeadlineMs, plain.inImage], ["run", "FARGATE", 45_000, []]);
  assert.equal(plain.aws.taskDefinition.executionRoleArn, "arn:aws:iam::123456789012:role/agent-exec");
  assert.equal(plain.aws.runTask.cluster, "agent-cluster");
  assert.deepEqual(plain.aws.runTask.networkConfiguration?.awsvpcConfiguration.subnets, ["subnet-agent"], "the agent's network");
  const local = agentLaunchPlan(claimed({ type: "LocalEnvironment" }), { ...agent, inTaskTypes: new Set(["FargateTaskEnvironment", "LocalEnvironment"]) });
  assert.deepEqual([local.stage, local.startDeadlineMs, local.aws.runTask.cluster], ["run", 300_000, "agent-cluster"]);
  const sized = new FargateTaskEnvironment({ family: "etl-sidecar", cpu: 1024, containerDefinitions: [{}, { name: "sidecar", image: "envoy:1", memory: 64 }] });
  const deploy = agentLaunchPlan(claimed(sized.serialize()), agent);
  assert.deepEqual([deploy.stage, deploy.inImage], ["deploy", ["containerDefinitions", "cpu", "family"]]);
  assert.equal(deploy.aws, agent.aws.FARGATE, "the agent's own task (stage deploy) takes the agent's options, not the environment's family");
  // A record registered before the server stopped holding AWS arguments: its cluster and memory are not
  // used by the agent, they send the run to the environment in the image (stage deploy).
  const older = agentLaunchPlan(claimed({ type: "FargateTaskEnvironment", launchType: "FARGATE", cluster: "other-cluster", memory: "2048" }), agent);
  assert.deepEqual([older.stage, older.inImage], ["deploy", ["cluster", "memory"]]);
  assert.equal(older.aws.runTask.cluster, "agent-cluster", "the agent's own task stays in the agent's cluster");
  assert.equal(older.aws.taskDefinition.memory, undefined, "the record's memory is not the agent's task's");
  assert.throws(
    () => agentLaunchPlan(claimed(new FargateTaskEnvironment({ regionName: "us-west-2" }).serialize()), agent),
    (e: SluiceError) => e.code === "DEPLOY_FAILED" && e.field === "regionName" && /REGION_NAME=us-west-2/.test(e.message),
  );
  assert.throws(
    () => agentLaunchPlan(claimed({ type: "FargateTaskEnvironment", launchType: "FARGATE", regionName: "" }), agent),
    (e: SluiceError) => e.code === "DEPLOY_FAILED" && e.field === "regionName" && /flow "etl"/.test(e.message),
  );
});
