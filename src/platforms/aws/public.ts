/** What the package exports of the AWS platform: its environment classes (the AWS SDK loads when they launch). */
export { FargateTaskEnvironment, type FargateTaskEnvironmentOptions } from "./fargate-task-environment.js";
export { CloudClusterEnvironment, type CloudClusterEnvironmentOptions } from "./cluster/index.js";
