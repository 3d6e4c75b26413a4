/**
 * The AWS platform: each flow run as one Amazon ECS task (Fargate or EC2), with task definitions reused
 * across the runs of a flow version. The AWS SDK loads on first use. See docs/aws.md.
 */
import { definePlatform } from "../platform.js";
import { awsConfig } from "./config.js";
import { cloudClusterEnvironmentSchema } from "./cluster/options.js";
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
    "cloud-cluster": {
      type: "CloudClusterEnvironment",
      needsImage: true,
      options: cloudClusterEnvironmentSchema,
      load: async () => (await import("./cluster/index.js")).CloudClusterEnvironment,
    },
  },
  agent: {
    kind: "ecs",
    description: "runs each flow run as one Amazon ECS task of the flow's image, and follows it to its end",
    load: async () => (await import("./ecs-agent.js")).createEcsDeployer,
    flags: [
      { flags: "--cluster <name>", description: "ECS cluster the tasks run in (default: the account's default cluster)", key: "aws.cluster" },
      { flags: "--launch-type <type>", description: 'FARGATE or EC2, for flows whose environment names none (default: "FARGATE")', key: "aws.launchType" },
      { flags: "--subnet <a,b>", description: "subnets of awsvpc tasks, comma-separated (required for Fargate)", key: "aws.subnets" },
      { flags: "--security-group <a,b>", description: "security groups of awsvpc tasks, comma-separated", key: "aws.securityGroups" },
      { flags: "--assign-public-ip", description: "give awsvpc tasks a public IP", key: "aws.assignPublicIp" },
      { flags: "--task-role-arn <arn>", description: "IAM role the flow's containers run as", key: "aws.taskRoleArn" },
      { flags: "--cpu <units>", description: 'task CPU of every task ("256", "1024"...; Fargate default "256")', key: "aws.cpu" },
      { flags: "--memory <mib>", description: 'task memory in MiB of every task ("512", "2048"...; default "512")', key: "aws.memory" },
      { flags: "--execution-role-arn <arn>", description: "IAM role ECS pulls images, reads secrets and writes logs with", key: "aws.executionRoleArn" },
      {
        flags: "--api-key-secret-arn <arn>",
        description: "Secrets Manager or SSM ARN tasks read the API key from (instead of a plain variable)",
        key: "aws.apiKeySecretArn",
      },
      { flags: "--log-group <name>", description: "CloudWatch log group of the flow containers (awslogs)", key: "aws.logGroup" },
    ],
    launches: ["fargate-task", "cloud-cluster"],
  },
});
