/**
 * The AWS platform's configuration, `config.aws`: credentials, region and endpoint of the ECS and
 * CloudWatch Logs clients when an environment's options name none. Light: the configuration schema
 * imports it through the platform list. The configuration fills the credentials and region from
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and REGION_NAME when neither SLUICE__AWS__*
 * nor the file set them; keys still unset leave the AWS SDK's own resolution (its default credential
 * chain, AWS_REGION) in charge.
 */
import type { ConfigKit } from "../../config/kit.js";
import type { Zod } from "../../core/zod.js";

/** Keys of `config.aws`. */
export const awsSection = (z: Zod, { bool, int, list }: ConfigKit) => ({
  /** Access key id, used with awsSecretAccessKey when an environment's options give none. Never logged. @default AWS_ACCESS_KEY_ID, else undefined (the SDK's default chain) */
  awsAccessKeyId: z.string().min(1).optional(),
  /** Secret access key. Never logged. @default AWS_SECRET_ACCESS_KEY, else undefined */
  awsSecretAccessKey: z.string().min(1).optional(),
  /** Session token of temporary credentials. Never logged. @default AWS_SESSION_TOKEN, else undefined */
  awsSessionToken: z.string().min(1).optional(),
  /** Region of the ECS cluster. @default REGION_NAME, else undefined (the SDK's resolution: AWS_REGION, the profile) */
  regionName: z.string().min(1).optional(),
  /** Endpoint of ECS and CloudWatch Logs (a VPC endpoint, a test stand-in). @default undefined (AWS's) */
  endpoint: z.string().url().optional(),
  /** ECS agent: the cluster its tasks run in; also the cluster of a FargateTaskEnvironment that names none. @default undefined (the account's default cluster) */
  cluster: z.string().min(1).optional(),
  /** ECS agent: launch type, "FARGATE" or "EC2", of the tasks of flows that do not name one (a FargateTaskEnvironment's own wins); checked when the agent starts. @default "FARGATE" */
  launchType: z.string().min(1).optional(),
  /** ECS agent: subnets of awsvpc tasks (required for Fargate). @default [] */
  subnets: list.optional(),
  /** ECS agent: security groups of awsvpc tasks. @default [] (the VPC's default group) */
  securityGroups: list.optional(),
  /** ECS agent: give awsvpc tasks a public IP (needed to pull images without a NAT gateway or VPC endpoints). @default false */
  assignPublicIp: bool.optional(),
  /** ECS agent: IAM role the flow's containers run as. @default undefined (none) */
  taskRoleArn: z.string().min(1).optional(),
  /** ECS agent: task CPU units of its tasks ("256", "1024", "1 vCPU"...). @default undefined (Fargate: "256"; EC2: none) */
  cpu: z.string().min(1).optional(),
  /** ECS agent: task memory in MiB of its tasks ("512", "2048", "2 GB"...). @default undefined (Fargate and EC2: "512") */
  memory: z.string().min(1).optional(),
  /** ECS agent: IAM role ECS uses to pull the image, read secrets and write logs. @default undefined (none) */
  executionRoleArn: z.string().min(1).optional(),
  /** ECS agent: ARN of a Secrets Manager secret or SSM parameter holding the API key; tasks get SLUICE__API__KEY from it instead of a plain variable (needs executionRoleArn). @default undefined */
  apiKeySecretArn: z.string().min(1).optional(),
  /** ECS agent: CloudWatch log group of the flow container (awslogs driver, stream prefix "sluice"); its tail is copied into a failed run's logs (needs executionRoleArn). @default undefined (no awslogs) */
  logGroup: z.string().min(1).optional(),
  /** ECS agent: between two DescribeTasks of a task it follows. @default 5000 */
  pollIntervalMs: int(50).optional(),
  /** ECS agent: how long a task may stay PROVISIONING/PENDING before it is stopped and its run failed. @default 600000 */
  startDeadlineMs: int(1_000).optional(),
});

/** The AWS platform's configuration fragment. */
export const awsConfig = { name: "aws", section: awsSection } as const;
