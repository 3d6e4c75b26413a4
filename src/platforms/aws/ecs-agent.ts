/**
 * The ECS agent: each claimed run as one ECS task of the flow's image, followed to its end. The AWS SDK
 * loads on first use.
 */
import { inheritedRunSettings, type DeployerFactory } from "../../agents/deployer.js";
import { compileEcsAgentOptions } from "./ecs-agent-options.js";
import { EcsDeployer } from "./ecs-deployer.js";

export { EcsDeployer } from "./ecs-deployer.js";
export { agentLaunchPlan, launchTypeOf, type AgentLaunchPlan } from "./agent-launch-plan.js";
export { compileEcsAgentOptions, type EcsAgentOptions, type EcsAgentExtras } from "./ecs-agent-options.js";

/** The ECS agent's deployer, configured from `config.aws` (the CLI's flags set those keys). */
export const createEcsDeployer: DeployerFactory = ({ config, followedTypes, runnersOf }) =>
  new EcsDeployer(
    compileEcsAgentOptions(config, {
      env: inheritedRunSettings(config),
      ...(followedTypes ? { inTaskTypes: followedTypes } : {}),
      ...(runnersOf ? { runnersOf } : {}),
    }),
  );
