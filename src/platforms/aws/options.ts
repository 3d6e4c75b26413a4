/**
 * Options of FargateTaskEnvironment: the AWS-specific ones (launch type, credentials, region) and the
 * AWS API options, split into the RegisterTaskDefinition keys and the RunTask keys (`tags` and
 * `placementConstraints` go to both). Every value is validated here, before any call to AWS, and a
 * problem names the field; an unknown key is an error that lists the allowed keys (it is never dropped).
 * The schemas are built with zod on first use.
 */
import type { z } from "zod";
import { SluiceError, showValue } from "../../core/errors.js";
import { lazy, type Zod } from "../../core/zod.js";

/** Keys passed to RegisterTaskDefinition. */
export const TASK_DEFINITION_KEYS = [
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "containerDefinitions",
  "volumes",
  "placementConstraints",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "tags",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "inferenceAccelerators",
] as const;

/** Keys passed to RunTask. */
export const RUN_TASK_KEYS = [
  "cluster",
  "taskDefinition",
  "count",
  "startedBy",
  "group",
  "placementConstraints",
  "placementStrategy",
  "platformVersion",
  "networkConfiguration",
  "tags",
  "enableECSManagedTags",
  "propagateTags",
] as const;

/** FargateTaskEnvironment's own keys (never sent to AWS as such). */
export const ENVIRONMENT_KEYS = ["launchType", "awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken", "regionName"] as const;

/** Options every environment takes, validated by the environment base, not here. */
export const COMMON_KEYS = ["executor", "labels", "onStart", "onExit", "metadata"] as const;

const ALL_KEYS = new Set<string>([...TASK_DEFINITION_KEYS, ...RUN_TASK_KEYS, ...ENVIRONMENT_KEYS, ...COMMON_KEYS]);

/** Members of an ECS container definition; others are refused (AWS would refuse them later). */
const CONTAINER_KEYS = [
  "name",
  "image",
  "repositoryCredentials",
  "cpu",
  "memory",
  "memoryReservation",
  "links",
  "portMappings",
  "essential",
  "entryPoint",
  "command",
  "environment",
  "environmentFiles",
  "mountPoints",
  "volumesFrom",
  "linuxParameters",
  "secrets",
  "dependsOn",
  "startTimeout",
  "stopTimeout",
  "hostname",
  "user",
  "workingDirectory",
  "disableNetworking",
  "privileged",
  "readonlyRootFilesystem",
  "dnsServers",
  "dnsSearchDomains",
  "extraHosts",
  "dockerSecurityOptions",
  "interactive",
  "pseudoTerminal",
  "dockerLabels",
  "ulimits",
  "logConfiguration",
  "healthCheck",
  "systemControls",
  "resourceRequirements",
  "firelensConfiguration",
] as const;

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `"256"`, `256`, `"0.25 vCPU"` → the string AWS takes (CPU units or vCPU). */
const cpuOrMemory = (z: Zod, what: "cpu" | "memory") => {
  const hint =
    what === "cpu"
      ? 'give CPU units as a number or string ("256", "1024") or vCPUs ("1 vCPU")'
      : 'give MiB as a number or string ("512", "2048") or GB ("2GB")';
  const pattern = what === "cpu" ? /^(\d+|\d+(\.\d+)? ?vCPU)$/i : /^(\d+|\d+(\.\d+)? ?GB)$/i;
  return z.union([z.number(hint).int(hint).positive(hint), z.string(hint).regex(pattern, hint)], { error: hint }).transform((v) => String(v));
};

const tagsSchema = (z: Zod) =>
  z
    .array(
      z.strictObject({
        key: z.string().min(1).max(128).regex(TAG_TEXT, "tag keys are letters, digits, spaces and _ . : / = + - @"),
        value: z.string().max(256).regex(TAG_TEXT, "tag values are letters, digits, spaces and _ . : / = + - @"),
      }),
    )
    .max(50, "ECS accepts at most 50 tags");

const containerSchema = (z: Zod) => {
  const keyValue = z.strictObject({ name: z.string().regex(ENV_NAME, "variable names are letters, digits and _"), value: z.string("values are strings") });
  const known: Record<string, z.ZodType> = {};
  for (const key of CONTAINER_KEYS) known[key] = z.unknown().optional();
  return z.strictObject({
    ...known,
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/, "container names are up to 255 letters, digits, - and _")
      .optional(),
    image: z.string().min(1).optional(),
    cpu: z.number().int().min(0).optional(),
    memory: z.number().int().min(6, "Docker needs at least 6 MiB").optional(),
    memoryReservation: z.number().int().min(6, "Docker needs at least 6 MiB").optional(),
    essential: z.boolean().optional(),
    entryPoint: z.array(z.string()).optional(),
    command: z.array(z.string()).optional(),
    environment: z.array(keyValue).optional(),
    secrets: z
      .array(
        z.strictObject({
          name: z.string().regex(ENV_NAME, "variable names are letters, digits and _"),
          valueFrom: z.string().min(1, "give the ARN of a Secrets Manager secret or SSM parameter"),
        }),
      )
      .optional(),
    portMappings: z
      .array(
        z.strictObject({
          containerPort: z.number().int().min(0).max(65535).optional(),
          hostPort: z.number().int().min(0).max(65535).optional(),
          protocol: z.enum(["tcp", "udp"]).optional(),
          name: z.string().optional(),
          appProtocol: z.enum(["http", "http2", "grpc"]).optional(),
          containerPortRange: z.string().optional(),
        }),
      )
      .optional(),
    mountPoints: z
      .array(z.strictObject({ sourceVolume: z.string().optional(), containerPath: z.string().optional(), readOnly: z.boolean().optional() }))
      .optional(),
    logConfiguration: z
      .strictObject({
        logDriver: z.enum(["json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"]),
        options: z.record(z.string(), z.string()).optional(),
        secretOptions: z.array(z.unknown()).optional(),
      })
      .optional(),
    stopTimeout: z.number().int().min(0).max(120).optional(),
    workingDirectory: z.string().optional(),
    user: z.string().optional(),
  });
};

/** The AWS API options of FargateTaskEnvironment (both calls), validated. */
export const awsOptionsSchema = lazy((z) =>
  z.strictObject({
    family: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,255}$/, "a family is up to 255 letters, digits, - and _")
      .optional(),
    taskRoleArn: z.string().min(1).optional(),
    executionRoleArn: z.string().min(1).optional(),
    networkMode: z.enum(["bridge", "host", "awsvpc", "none"]).optional(),
    containerDefinitions: z.array(containerSchema(z)).max(10, "a task definition has at most 10 containers").optional(),
    volumes: z.array(z.record(z.string(), z.unknown())).optional(),
    placementConstraints: z
      .array(z.strictObject({ type: z.enum(["memberOf", "distinctInstance"]), expression: z.string().optional() }))
      .max(10)
      .optional(),
    requiresCompatibilities: z.array(z.enum(["EC2", "FARGATE", "EXTERNAL"])).optional(),
    cpu: cpuOrMemory(z, "cpu").optional(),
    memory: cpuOrMemory(z, "memory").optional(),
    tags: tagsSchema(z).optional(),
    pidMode: z.enum(["host", "task"]).optional(),
    ipcMode: z.enum(["host", "task", "none"]).optional(),
    proxyConfiguration: z
      .strictObject({
        type: z.literal("APPMESH").optional(),
        containerName: z.string(),
        properties: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
      })
      .optional(),
    inferenceAccelerators: z.array(z.strictObject({ deviceName: z.string(), deviceType: z.string() })).optional(),
    cluster: z.string().min(1).optional(),
    taskDefinition: z.string().min(1).optional(),
    count: z.literal(1, "a flow run runs in exactly one task: leave count out or set it to 1").optional(),
    startedBy: z
      .string()
      .regex(/^[A-Za-z0-9_/-]{1,128}$/, "startedBy is up to 128 letters, digits, -, / and _")
      .optional(),
    group: z.string().min(1).max(255).optional(),
    placementStrategy: z
      .array(z.strictObject({ type: z.enum(["random", "spread", "binpack"]), field: z.string().optional() }))
      .max(5)
      .optional(),
    platformVersion: z.string().min(1).optional(),
    networkConfiguration: z
      .strictObject({
        awsvpcConfiguration: z.strictObject({
          subnets: z.array(z.string().min(1)).min(1, "give at least one subnet id").max(16),
          securityGroups: z.array(z.string().min(1)).max(5).optional(),
          assignPublicIp: z.enum(["ENABLED", "DISABLED"]).optional(),
        }),
      })
      .optional(),
    enableECSManagedTags: z.boolean().optional(),
    propagateTags: z.enum(["TASK_DEFINITION", "SERVICE", "NONE"]).optional(),
  }),
);

export type AwsOptions = z.output<ReturnType<typeof awsOptionsSchema>>;
export type ContainerDefinitionOptions = NonNullable<AwsOptions["containerDefinitions"]>[number];
export type TaskDefinitionOptions = Pick<AwsOptions, (typeof TASK_DEFINITION_KEYS)[number]>;
export type RunTaskOptions = Pick<AwsOptions, (typeof RUN_TASK_KEYS)[number]>;

/** FargateTaskEnvironment's own options, validated. */
export const fargateEnvironmentSchema = lazy((z) =>
  z.strictObject({
    /** "FARGATE" or "EC2". @default "FARGATE" */
    launchType: z.enum(["FARGATE", "EC2"], 'launchType is "FARGATE" or "EC2"').default("FARGATE"),
    /** Access key id of the AWS clients, with awsSecretAccessKey. Never logged. @default config aws.awsAccessKeyId, else the AWS SDK's default chain */
    awsAccessKeyId: z.string().min(16, "an access key id is at least 16 characters").optional(),
    /** Secret access key. Never logged. @default config aws.awsSecretAccessKey */
    awsSecretAccessKey: z.string().min(1).optional(),
    /** Session token of temporary credentials. Never logged. @default config aws.awsSessionToken */
    awsSessionToken: z.string().min(1).optional(),
    /** Region of the ECS cluster. @default config aws.regionName, else the AWS SDK's resolution */
    regionName: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'give a region such as "us-east-1"')
      .optional(),
  }),
);

export type FargateEnvironmentOwnOptions = z.output<ReturnType<typeof fargateEnvironmentSchema>>;

/** The options of FargateTaskEnvironment, split and validated. */
export interface SplitOptions {
  environment: FargateEnvironmentOwnOptions;
  taskDefinition: TaskDefinitionOptions;
  runTask: RunTaskOptions;
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]!;
}

/** The allowed key closest to a misspelt one, if it is close. */
function closest(key: string): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of ALL_KEYS) {
    const d = distance(key, k);
    if (d <= Math.max(2, Math.floor(k.length / 4)) && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

function fail(field: string, value: unknown, message: string, cause?: unknown): never {
  throw new SluiceError("INVALID_OPTION", message, { field, value: field.startsWith("aws") ? "(redacted)" : value, kind: "fargate-task", cause });
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "options";
  const value = valueAt(raw, issue.path);
  const secret = /^aws(SecretAccessKey|SessionToken|AccessKeyId)$/.test(field);
  const shown = secret ? "(redacted)" : value === undefined ? "missing or invalid" : showValue(value);
  return fail(field, value, `FargateTaskEnvironment: option ${field} is ${shown}: ${issue.message}`, parsed.error);
}

/**
 * Splits and validates the options of FargateTaskEnvironment (the common ones left out). An unknown key
 * fails with the allowed keys; a bad value fails naming its field. The input is never mutated.
 */
export function splitFargateOptions(raw: Readonly<Record<string, unknown>>): SplitOptions {
  for (const key of Object.keys(raw)) {
    if (!ALL_KEYS.has(key)) {
      const guess = closest(key);
      fail(
        key,
        raw[key],
        `FargateTaskEnvironment: unknown option "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}. Allowed: ${[...ENVIRONMENT_KEYS].join(", ")}; task definition: ${TASK_DEFINITION_KEYS.join(", ")}; RunTask: ${RUN_TASK_KEYS.join(", ")}; common: ${COMMON_KEYS.join(", ")}`,
      );
    }
  }
  const pick = (keys: readonly string[]) => Object.fromEntries(Object.entries(raw).filter(([k, v]) => keys.includes(k) && v !== undefined));
  const environment = parse(fargateEnvironmentSchema(), pick(ENVIRONMENT_KEYS));
  const aws = parse(awsOptionsSchema(), structuredClone(pick([...TASK_DEFINITION_KEYS, ...RUN_TASK_KEYS])));
  const only = <K extends string>(keys: readonly K[]) => Object.fromEntries(Object.entries(aws).filter(([k]) => (keys as readonly string[]).includes(k)));
  const taskDefinition = only(TASK_DEFINITION_KEYS) as TaskDefinitionOptions;
  const runTask = only(RUN_TASK_KEYS) as RunTaskOptions;
  if (environment.launchType === "FARGATE") {
    if (taskDefinition.networkMode !== undefined && taskDefinition.networkMode !== "awsvpc") {
      fail(
        "networkMode",
        taskDefinition.networkMode,
        `FargateTaskEnvironment: option networkMode is ${showValue(taskDefinition.networkMode)}: Fargate tasks use "awsvpc"; leave networkMode out or use launchType "EC2"`,
      );
    }
    if (taskDefinition.requiresCompatibilities && !taskDefinition.requiresCompatibilities.includes("FARGATE")) {
      fail(
        "requiresCompatibilities",
        taskDefinition.requiresCompatibilities,
        `FargateTaskEnvironment: option requiresCompatibilities is ${showValue(taskDefinition.requiresCompatibilities)}: with launchType "FARGATE" it must include "FARGATE"`,
      );
    }
  }
  const first = taskDefinition.containerDefinitions?.[0];
  if (first?.name !== undefined && first.name !== "flow-container") {
    fail(
      "containerDefinitions.0.name",
      first.name,
      `FargateTaskEnvironment: option containerDefinitions.0.name is ${showValue(first.name)}: the first container runs the flow and is named "flow-container"; rename it or leave the name out`,
    );
  }
  return { environment, taskDefinition, runTask };
}
