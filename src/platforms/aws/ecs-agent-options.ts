/**
 * The ECS agent's options, compiled once from `config.aws` (the CLI's flags set those keys): defaults
 * applied, and the AWS options every task of the agent shares (cluster, network, roles, log driver, the
 * API key's secret) validated by the same splitter as FargateTaskEnvironment's, so a bad value fails when
 * the agent starts, naming its key.
 */
import type { SluiceConfig } from "../../config/schema.js";
import { SluiceError } from "../../core/errors.js";
import type { AwsCredentialInput } from "./credentials.js";
import { splitFargateOptions, type SplitOptions } from "./options.js";

export interface EcsAgentOptions {
  /** Credentials and region of the clients (the SDK's default chain when none). */
  access: AwsCredentialInput;
  /** ECS and Logs endpoint. @default undefined (AWS's) */
  endpoint?: string;
  /** Launch type of flows whose environment names none. @default "FARGATE" */
  launchType: "FARGATE" | "EC2";
  /** The validated AWS options of each launch type (network configuration only where awsvpc is used). */
  aws: Record<"FARGATE" | "EC2", SplitOptions>;
  /** ARN the task reads SLUICE__API__KEY from, instead of a plain override. @default undefined */
  apiKeySecretArn?: string;
  /** How the flow container starts Sluice's CLI. @default ["sluice"] */
  sluiceCommand: string[];
  /** Between two DescribeTasks, and two checks of the run's cancellation. @default 5000 */
  pollIntervalMs: number;
  /** How long a task may take to start. @default 600000 */
  startDeadlineMs: number;
  /** Serialized environment types whose runs start stage "run" directly in the task. */
  inTaskTypes: ReadonlySet<string>;
  /** Variables every task gets (reporting and logging pace). @default {} */
  env: Readonly<Record<string, string>>;
  /** The agent kinds that run an environment type, named in a refusal. @default undefined (the refusal lists the types this agent runs) */
  runnersOf?: (type: string) => readonly string[];
}

export interface EcsAgentExtras {
  /** @default ["sluice"] */
  sluiceCommand?: readonly string[];
  /** Environment types whose runs the one task runs (stage "run"); others are refused at claim. @default {"FargateTaskEnvironment"} (the agent adds the in-process kinds) */
  inTaskTypes?: ReadonlySet<string>;
  /** @default {} */
  env?: Readonly<Record<string, string>>;
  /** The agent kinds that run an environment type, named when a run is refused. @default undefined */
  runnersOf?: (type: string) => readonly string[];
}

/** The ECS agent's options from `config.aws`; a bad value fails here, naming its key. */
export function compileEcsAgentOptions(config: SluiceConfig, extras: EcsAgentExtras = {}): EcsAgentOptions {
  const a = config.aws;
  const subnets = a.subnets ?? [];
  const launchType = (a.launchType ?? "FARGATE").toUpperCase();
  if (launchType !== "FARGATE" && launchType !== "EC2") {
    throw new SluiceError("CONFIG_INVALID", `ECS agent: aws.launchType (--launch-type) is "${a.launchType}": use FARGATE or EC2`, {
      field: "aws.launchType",
      value: a.launchType,
      kind: "ecs",
    });
  }
  if ((a.apiKeySecretArn || a.logGroup) && !a.executionRoleArn) {
    const key = a.apiKeySecretArn ? "aws.apiKeySecretArn" : "aws.logGroup";
    throw new SluiceError(
      "CONFIG_INVALID",
      `ECS agent: ${key} needs aws.executionRoleArn (--execution-role-arn): ECS reads secrets and writes awslogs with the execution role`,
      { field: key, kind: "ecs" },
    );
  }
  const container: Record<string, unknown> = {};
  if (a.logGroup) {
    container.logConfiguration = {
      logDriver: "awslogs",
      options: { "awslogs-group": a.logGroup, "awslogs-stream-prefix": "sluice", ...(a.regionName ? { "awslogs-region": a.regionName } : {}) },
    };
  }
  if (a.apiKeySecretArn) container.secrets = [{ name: "SLUICE__API__KEY", valueFrom: a.apiKeySecretArn }];
  const shared: Record<string, unknown> = {
    ...(a.cluster ? { cluster: a.cluster } : {}),
    ...(a.taskRoleArn ? { taskRoleArn: a.taskRoleArn } : {}),
    ...(a.executionRoleArn ? { executionRoleArn: a.executionRoleArn } : {}),
    ...(a.cpu ? { cpu: a.cpu } : {}),
    ...(a.memory ? { memory: a.memory } : {}),
    ...(Object.keys(container).length > 0 ? { containerDefinitions: [container] } : {}),
  };
  const network =
    subnets.length > 0
      ? {
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets,
              ...(a.securityGroups?.length ? { securityGroups: a.securityGroups } : {}),
              assignPublicIp: a.assignPublicIp ? "ENABLED" : "DISABLED",
            },
          },
        }
      : {};
  const split = (launchType: "FARGATE" | "EC2", extra: Record<string, unknown>): SplitOptions => {
    try {
      return splitFargateOptions({ launchType, ...shared, ...extra });
    } catch (e) {
      const field = (e as SluiceError).field;
      throw new SluiceError("CONFIG_INVALID", `ECS agent: ${(e as Error).message.replace(/^FargateTaskEnvironment: option /, "setting ")}`, {
        field: `aws.${field ?? "?"}`,
        kind: "ecs",
        cause: e,
      });
    }
  };
  return {
    access: {
      ...(a.awsAccessKeyId ? { awsAccessKeyId: a.awsAccessKeyId } : {}),
      ...(a.awsSecretAccessKey ? { awsSecretAccessKey: a.awsSecretAccessKey } : {}),
      ...(a.awsSessionToken ? { awsSessionToken: a.awsSessionToken } : {}),
      ...(a.regionName ? { regionName: a.regionName } : {}),
    },
    ...(a.endpoint ? { endpoint: a.endpoint } : {}),
    launchType,
    // Fargate tasks are always awsvpc; EC2 tasks of the agent use the default bridge mode, or awsvpc when subnets are given.
    aws: {
      FARGATE: split("FARGATE", network),
      EC2: split("EC2", subnets.length > 0 ? { networkMode: "awsvpc", memory: a.memory ?? "512", ...network } : { memory: a.memory ?? "512" }),
    },
    ...(a.apiKeySecretArn ? { apiKeySecretArn: a.apiKeySecretArn } : {}),
    sluiceCommand: [...(extras.sluiceCommand ?? ["sluice"])],
    pollIntervalMs: a.pollIntervalMs ?? 5_000,
    startDeadlineMs: a.startDeadlineMs ?? 600_000,
    // The agent adds the kinds that run in process (it knows them from the platform list).
    inTaskTypes: extras.inTaskTypes ?? new Set(["FargateTaskEnvironment"]),
    env: extras.env ?? {},
    ...(extras.runnersOf ? { runnersOf: extras.runnersOf } : {}),
  };
}
