/**
 * How the ECS agent launches a CloudClusterEnvironment run: its task runs stage "deploy" (the cluster's
 * scheduler, which starts the broker and the workers), with the agent's own AWS options; the kinds that
 * run in the task itself keep stage "run".
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { followedEnvironmentTypes } from "../../../../src/agents/registry.js";
import { loadConfig } from "../../../../src/config/load.js";
import { CloudClusterEnvironment } from "../../../../src/platforms/aws/cluster/index.js";
import { agentLaunchPlan, compileEcsAgentOptions } from "../../../../src/platforms/aws/ecs-agent.js";

const claimed = (environment: Record<string, unknown>) =>
  ({ flowRun: { id: "run-1" }, flow: { name: "etl", environment: { version: "1", labels: [], metadata: {}, ...environment } } }) as never;

it("a CloudClusterEnvironment run: the agent's task runs stage deploy with the agent's options; LocalEnvironment stays stage run", () => {
  const agent = compileEcsAgentOptions(loadConfig({ file: false, env: { SLUICE__AWS__CLUSTER: "agent-cluster", SLUICE__AWS__SUBNETS: "subnet-agent" } }), {
    inTaskTypes: followedEnvironmentTypes("ecs"),
  });
  assert.ok(agent.inTaskTypes.has("CloudClusterEnvironment"), "the ECS agent accepts cluster runs");
  const record = new CloudClusterEnvironment({ workers: 3, networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-flow"] } } }).serialize();
  const plan = agentLaunchPlan(claimed(record), agent);
  assert.equal(plan.stage, "deploy");
  assert.equal(plan.launchType, "FARGATE");
  assert.equal(plan.aws.runTask.cluster, "agent-cluster");
  assert.deepEqual(plan.aws.runTask.networkConfiguration?.awsvpcConfiguration.subnets, ["subnet-agent"], "the scheduler's task is the agent's");
  assert.equal(agentLaunchPlan(claimed({ type: "LocalEnvironment" }), agent).stage, "run");
  assert.equal(agentLaunchPlan(claimed({ type: "FargateTaskEnvironment", launchType: "FARGATE" }), agent).stage, "run");
});
