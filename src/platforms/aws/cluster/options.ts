/**
 * CloudClusterEnvironment's options: its own (cluster size, broker, security, timings) as one zod schema,
 * and the AWS API options (task definition and RunTask keys, credentials, region) validated by the same
 * rules as FargateTaskEnvironment's. `compileClusterOptions` turns raw options into the compiled form the
 * environment holds; it runs at construction and again on what `onExecute` returns, so a resize is
 * validated like any option. Light on purpose: the platform descriptor imports the schema, never the class.
 */
import type { z } from "zod";
import { SluiceError, showValue } from "../../../core/errors.js";
import type { JsonObject } from "../../../core/executor.js";
import { parseOptions } from "../../../core/parse-options.js";
import { lazy, type Zod } from "../../../core/zod.js";
import { brokerSchema } from "../../../executors/distributed/schema.js";
import { awsOptionsSchema, fargateEnvironmentSchema, splitFargateOptions, type SplitOptions } from "../options.js";

export const OWNER = "CloudClusterEnvironment";

/** Workers when neither `workers` nor the adaptive bounds are given. */
export const DEFAULT_WORKERS = 2;
/** Port the run's broker listens on (in its task). */
export const DEFAULT_BROKER_PORT = 6379;
/** Name the broker's certificate carries and clients check (SNI), whatever address the broker has. */
export const BROKER_SERVER_NAME = "sluice-broker";

const whole = (z: Zod, min: number, message: string) => z.number(message).int(message).min(min, message);

/** TLS material of the run's broker, as paths of PEM files (read when a run starts). */
const securitySchema = (z: Zod) =>
  z.strictObject({
    /** The broker's certificate. */
    certFile: z.string().min(1, "give the path of a PEM certificate"),
    /** Its private key. */
    keyFile: z.string().min(1, "give the path of a PEM private key"),
    /** The CA clients trust. @default the certificate itself (self-signed) */
    caFile: z.string().min(1, "give the path of a PEM CA certificate").optional(),
  });

/** The environment's own options (not the AWS API ones), in their JSON form. */
export const clusterOwnSchema = lazy((z) =>
  z.strictObject({
    provider: z.enum(["fargate", "ecs"], 'provider is "fargate" (Fargate tasks) or "ecs" (EC2 capacity)').default("fargate"),
    workers: whole(z, 1, "give a whole number ≥ 1").optional(),
    adaptiveMinWorkers: whole(z, 0, "give a whole number ≥ 0").optional(),
    adaptiveMaxWorkers: whole(z, 1, "give a whole number ≥ 1").optional(),
    security: securitySchema(z).optional(),
    executorOptions: z.record(z.string(), z.unknown()).optional(),
    broker: brokerSchema().optional(),
    allowInsecureBroker: z.boolean().default(false),
    brokerImage: z.string().min(1, "give an image holding redis-server").optional(),
    brokerPort: z.number().int().min(1).max(65535, "a port is 1 to 65535").default(DEFAULT_BROKER_PORT),
    brokerCommand: z.array(z.string().min(1)).min(1, 'give the program that starts Redis, e.g. ["redis-server"]').default(["redis-server"]),
    sluiceCommand: z.array(z.string().min(1)).min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]').default(["sluice"]),
    workerConcurrency: whole(z, 1, "give a whole number ≥ 1").optional(),
    pollIntervalMs: whole(z, 50, "give a whole number of ms ≥ 50").default(2000),
    startDeadlineMs: whole(z, 1000, "give a whole number of ms ≥ 1000").default(600_000),
    scaleIntervalMs: whole(z, 100, "give a whole number of ms ≥ 100").default(2000),
    scaleDownDelayMs: whole(z, 0, "give a whole number of ms ≥ 0").default(10_000),
    maxWorkerFailures: whole(z, 0, "give a whole number ≥ 0").default(3),
    endpoint: z.url("give the endpoint as a URL, e.g. https://ecs.us-east-1.amazonaws.com").optional(),
  }),
);

/** Every option in its JSON form (config file, CLI, API): the own ones, the AWS API ones, credentials and region. */
export const cloudClusterEnvironmentSchema = lazy(() =>
  clusterOwnSchema()
    .extend(awsOptionsSchema().shape)
    .extend(fargateEnvironmentSchema().omit({ launchType: true }).shape),
);

type OwnOptions = z.output<ReturnType<typeof clusterOwnSchema>>;

/** How many workers run: a fixed number, or bounds the queue depth moves them between. */
export type WorkerSizing = { kind: "fixed"; workers: number } | { kind: "adaptive"; min: number; max: number };

/** The options compiled: what the environment holds and a run uses. */
export interface CompiledClusterOptions extends Omit<OwnOptions, "workers" | "adaptiveMinWorkers" | "adaptiveMaxWorkers" | "executorOptions"> {
  sizing: WorkerSizing;
  executorOptions: JsonObject;
  /** The AWS options, split as FargateTaskEnvironment's (launch type from the provider). */
  aws: SplitOptions;
}

/** Keys of the own options (everything else goes to the AWS split). */
const OWN_KEYS = (): string[] => Object.keys(clusterOwnSchema().shape);

/** Options the cluster sets itself, refused in `executorOptions`. */
const RESERVED_EXECUTOR_KEYS = ["redis", "queuePrefix", "allowInsecure"];

function sizingOf(o: OwnOptions): WorkerSizing {
  const adaptive = o.adaptiveMinWorkers !== undefined || o.adaptiveMaxWorkers !== undefined;
  if (adaptive && o.workers !== undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option workers is ${o.workers} but adaptive bounds are set too: give either workers (a fixed cluster) or adaptiveMinWorkers/adaptiveMaxWorkers`,
      { field: "workers", value: o.workers },
    );
  }
  if (!adaptive) return { kind: "fixed", workers: o.workers ?? DEFAULT_WORKERS };
  if (o.adaptiveMaxWorkers === undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option adaptiveMaxWorkers is missing: an adaptive cluster needs its largest size, e.g. adaptiveMaxWorkers: 4`,
      {
        field: "adaptiveMaxWorkers",
      },
    );
  }
  const min = o.adaptiveMinWorkers ?? 1;
  if (min > o.adaptiveMaxWorkers) {
    throw new SluiceError("INVALID_OPTION", `${OWNER}: option adaptiveMinWorkers is ${min}, more than adaptiveMaxWorkers ${o.adaptiveMaxWorkers}`, {
      field: "adaptiveMinWorkers",
      value: min,
    });
  }
  return { kind: "adaptive", min, max: o.adaptiveMaxWorkers };
}

/** Validates and compiles raw options (the common ones already removed). The input is never mutated. */
export function compileClusterOptions(raw: Readonly<Record<string, unknown>>): CompiledClusterOptions {
  const own = Object.fromEntries(Object.entries(raw).filter(([k]) => OWN_KEYS().includes(k)));
  const awsRaw = Object.fromEntries(Object.entries(raw).filter(([k]) => !OWN_KEYS().includes(k)));
  if ("launchType" in awsRaw) {
    throw new SluiceError("INVALID_OPTION", `${OWNER}: option launchType is not taken here; give provider: "fargate" or "ecs"`, {
      field: "launchType",
      value: awsRaw.launchType,
    });
  }
  const o = parseOptions(clusterOwnSchema(), own, OWNER);
  const sizing = sizingOf(o);
  for (const key of RESERVED_EXECUTOR_KEYS) {
    if (o.executorOptions && key in o.executorOptions) {
      throw new SluiceError("INVALID_OPTION", `${OWNER}: option executorOptions.${key} is set by the cluster itself (its broker and queue); leave it out`, {
        field: `executorOptions.${key}`,
        value: key === "redis" ? "(not shown)" : o.executorOptions[key],
      });
    }
  }
  if (o.broker !== undefined && o.security !== undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option security is for the run's own broker; with an existing broker give its TLS settings in broker.tls`,
      {
        field: "security",
      },
    );
  }
  let aws: SplitOptions;
  try {
    aws = splitFargateOptions({ ...awsRaw, launchType: o.provider === "fargate" ? "FARGATE" : "EC2" });
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    throw new SluiceError("INVALID_OPTION", error.message.replace(/^FargateTaskEnvironment:/, `${OWNER}:`), {
      field: error.field,
      value: error.value,
      kind: "cloud-cluster",
      cause: error,
    });
  }
  if (aws.runTask.count !== undefined || aws.runTask.taskDefinition !== undefined) {
    const field = aws.runTask.count !== undefined ? "count" : "taskDefinition";
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option ${field} is chosen by the cluster (one task per broker and worker, its own definitions); leave it out`,
      {
        field,
        value: aws.runTask[field],
      },
    );
  }
  if (aws.taskDefinition.family !== undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option family is ${showValue(aws.taskDefinition.family)}: the broker and the workers get families derived from their content; leave it out`,
      { field: "family", value: aws.taskDefinition.family },
    );
  }
  if (o.provider === "ecs" && aws.taskDefinition.networkMode !== "awsvpc") {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option networkMode is ${showValue(aws.taskDefinition.networkMode ?? "bridge")}: the broker is reached at its task's own address, so provider "ecs" needs networkMode "awsvpc" (and a networkConfiguration)`,
      { field: "networkMode", value: aws.taskDefinition.networkMode },
    );
  }
  const { workers: _w, adaptiveMinWorkers: _min, adaptiveMaxWorkers: _max, executorOptions, ...rest } = o;
  return { ...rest, sizing, executorOptions: (executorOptions ?? {}) as JsonObject, aws };
}

/** What `onExecute` receives and may change: the cluster size and the AWS options (a copy). */
export function providerOptionsOf(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return structuredClone(Object.fromEntries(Object.entries(raw).filter(([k]) => typeof raw[k] !== "function")));
}
