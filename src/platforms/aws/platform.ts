/**
 * The AWS platform: each flow run as one Amazon ECS task (Fargate or EC2), with task definitions reused
 * across the runs of a flow version. The AWS SDK loads on first use. See docs/aws.md.
 */
import { definePlatform } from "../platform.js";
import { awsConfig } from "./config.js";
import { fargateTaskEnvironmentSchema } from "./environment-options.js";

export const awsPlatform = definePlatform({
  name: "aws",
  description: "Amazon ECS: each flow run as one ECS task on Fargate or EC2",
  config: awsConfig,
  environments: {
    "fargate-task": {
      type: "FargateTaskEnvironment",
      needsImage: true,
      options: fargateTaskEnvironmentSchema,
      load: async () => (await import("./fargate-task-environment.js")).FargateTaskEnvironment,
    },
  },
});
