/**
 * CloudClusterEnvironment's options: its own (cluster size, broker, security, timings) as one zod schema,
 * and the AWS API options (task definition and RunTask keys, credentials, region) validated by the same
 * rules as FargateTaskEnvironment's. `compileClusterOptions` turns raw options into the compiled form the
 * environment holds; it runs at construction and again on what `onExecute` returns, so a resize is
 * validated like any option. Light on purpose: the platform descriptor imports the schema, never the class.
 */
import type { z } from "zod";
import { SluiceError, showValue } from "../../../core/errors.js";
import type { EnvironmentOptions } from "../../../core/environment.js";
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
    /** "fargate" (Fargate tasks) or "ecs" (EC2 capacity; needs networkMode "awsvpc"). @default "fargate" */
    provider: z.enum(["fargate", "ecs"], 'provider is "fargate" (Fargate tasks) or "ecs" (EC2 capacity)').default("fargate"),
    /** Worker tasks of a fixed cluster (not with the adaptive bounds). @default 2 */
    workers: whole(z, 1, "give a whole number ≥ 1").optional(),
    /** Fewest worker tasks of an adaptive cluster; setting it (or the max) makes the cluster adaptive. @default 1 when adaptiveMaxWorkers is set */
    adaptiveMinWorkers: whole(z, 0, "give a whole number ≥ 0").optional(),
    /** Most worker tasks of an adaptive cluster (required when adaptive). @default undefined */
    adaptiveMaxWorkers: whole(z, 1, "give a whole number ≥ 1").optional(),
    /** TLS material of the run's broker, as PEM file paths { certFile, keyFile, caFile? }. @default undefined (a certificate made for each run) */
    security: securitySchema(z).optional(),
    /** Options of the distributed executor (workStealing, resultStore, resultThresholdBytes...; not redis or queuePrefix). @default {} */
    executorOptions: z.record(z.string(), z.unknown()).optional(),
    /** An existing Redis instead of the run's own broker: a URL or { url, password, tls }. @default undefined (a broker task per run) */
    broker: brokerSchema().optional(),
    /** Accept an existing broker on another machine without password or TLS. @default false */
    allowInsecureBroker: z.boolean().default(false),
    /** Image of the broker task; it must hold redis-server built with TLS, and sh. @default the flow's image */
    brokerImage: z.string().min(1, "give an image holding redis-server").optional(),
    /** Port the broker listens on in its task. @default 6379 */
    brokerPort: z.number().int().min(1).max(65535, "a port is 1 to 65535").default(DEFAULT_BROKER_PORT),
    /** The program that starts Redis in the broker image. @default ["redis-server"] */
    brokerCommand: z.array(z.string().min(1)).min(1, 'give the program that starts Redis, e.g. ["redis-server"]').default(["redis-server"]),
    /** How the worker containers start Sluice's CLI. @default ["sluice"] */
    sluiceCommand: z.array(z.string().min(1)).min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]').default(["sluice"]),
    /** Task attempts each worker runs at once. @default the configuration's executor.workerConcurrency (4) */
    workerConcurrency: whole(z, 1, "give a whole number ≥ 1").optional(),
    /** Between two DescribeTasks while the broker starts, in ms. @default 2000 */
    pollIntervalMs: whole(z, 50, "give a whole number of ms ≥ 50").default(2000),
    /** How long the broker may take to start and answer, in ms. @default 600000 */
    startDeadlineMs: whole(z, 1000, "give a whole number of ms ≥ 1000").default(600_000),
    /** Between two checks of the workers (replacements, adaptive sizing), in ms. @default 2000 */
    scaleIntervalMs: whole(z, 100, "give a whole number of ms ≥ 100").default(2000),
    /** How long fewer workers must be wanted before some are stopped, in ms. @default 10000 */
    scaleDownDelayMs: whole(z, 0, "give a whole number of ms ≥ 0").default(10_000),
    /** Worker tasks that may end (OOM, pull error, capacity) and be replaced before the run fails. @default 3 */
    maxWorkerFailures: whole(z, 0, "give a whole number ≥ 0").default(3),
    /** ECS and Logs endpoint (a VPC endpoint, a local stand-in). @default undefined (AWS's) */
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

/** What `onExecute` may change: the cluster's size and the AWS options of its tasks. */
export type ProviderOptions = Record<string, unknown>;

/**
 * Options of CloudClusterEnvironment: the common ones but `executor` (the cluster's own), its own (typed
 * from their schema), credentials and region, and the AWS API options. The AWS keys are typed loosely on
 * purpose, as FargateTaskEnvironment's: they are AWS's own parameters, and every one is validated at
 * construction, naming the key.
 */
export type CloudClusterEnvironmentOptions = Omit<EnvironmentOptions, "executor"> &
  z.input<ReturnType<typeof clusterOwnSchema>> &
  Omit<z.input<ReturnType<typeof fargateEnvironmentSchema>>, "launchType"> & {
    /** Called at the start of `execute()` with the run's parameters and a copy of the options it may change (workers, adaptive bounds, AWS options). @default undefined */
    onExecute?: (parameters: Record<string, unknown>, providerOptions: ProviderOptions) => void | Promise<void>;
    /** RegisterTaskDefinition and RunTask keys (cpu, memory, roles, containerDefinitions, cluster, networkConfiguration, tags...): see docs/aws.md. */
    [awsOption: string]: unknown;
  };

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
