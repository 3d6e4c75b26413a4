/** What the package exports of the AWS platform: its environment class (the AWS SDK loads when it launches). */
export { FargateTaskEnvironment, type FargateTaskEnvironmentOptions } from "./fargate-task-environment.js";
