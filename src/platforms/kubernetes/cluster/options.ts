/**
 * Options of the worker-cluster environments beyond the common ones, in their JSON form (config file,
 * CLI, API), as zod schemas built on first use. Light on purpose: the environment registry imports this
 * file, never the classes (which load the Kubernetes client and BullMQ on first use).
 */
import { lazy, type Zod } from "../../../core/zod.js";
import { brokerSchema } from "../../../executors/distributed/schema.js";
import { dockerOnKubernetesEnvironmentSchema } from "../environment-options.js";
import { DEFAULT_BROKER_IMAGE } from "./broker.js";

const whole = (z: Zod, min: number, message: string) => z.number().int(message).min(min, message);
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const ephemeralBrokerSchema = lazy((z) =>
  z.strictObject({
    image: z.string().min(1, 'give an image holding redis-server, e.g. "redis:7-alpine"').default(DEFAULT_BROKER_IMAGE),
    port: z.number().int().min(1).max(65535, "a port is 1 to 65535").default(6379),
    address: z.enum(["service", "pod-ip"]).default("service"),
    startTimeoutMs: whole(z, 1000, "give a whole number of ms ≥ 1000").default(120_000),
  }),
);

/** How the scheduler runs its cluster: shared by both environments. */
const runtimeShape = (z: Zod) => ({
  broker: brokerSchema().optional(),
  allowInsecureBroker: z.boolean().default(false),
  ephemeralBroker: ephemeralBrokerSchema().prefault({}),
  scaleIntervalMs: whole(z, 100, "give a whole number of ms ≥ 100").default(2000),
  scaleDownDelayMs: whole(z, 0, "give a whole number of ms ≥ 0").default(10_000),
  workerStartTimeoutMs: whole(z, 1000, "give a whole number of ms ≥ 1000").default(300_000),
  maxWorkerFailures: whole(z, 1, "give a whole number ≥ 1").default(3),
  sluiceCommand: z
    .array(z.string().min(1, "each part of the command is a non-empty string"))
    .min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]')
    .optional(),
});

const pullSecrets = (z: Zod) =>
  z.string().refine((v) => v.split(",").every((name) => K8S_NAME.test(name) && name.length <= 253), {
    error: 'give Secret names separated by commas, without spaces, e.g. "some-secret,other-secret"',
  });

/** minWorkers ≤ maxWorkers is checked where the options are compiled (the class). */
export const kubernetesClusterEnvironmentSchema = lazy((z) =>
  z.strictObject({
    minWorkers: whole(z, 0, "give a whole number ≥ 0").default(1),
    maxWorkers: whole(z, 1, "give a whole number ≥ 1").default(2),
    workStealing: z.boolean().default(true),
    schedulerLogs: z.boolean().default(false),
    schedulerSpecFile: z.string().min(1, 'give the path of a Job spec YAML file, e.g. "scheduler_job.yaml"').optional(),
    workerSpecFile: z.string().min(1, 'give the path of a Pod spec YAML file, e.g. "worker_pod.yaml"').optional(),
    imagePullSecret: pullSecrets(z).optional(),
    logK8sErrors: z.boolean().default(false),
    /** @deprecated give imagePullSecret instead. */
    privateRegistry: z.boolean().default(false),
    /** @deprecated give imagePullSecret instead. */
    dockerSecret: z.string().min(1).optional(),
    ...runtimeShape(z),
  }),
);

export const clusterOnKubernetesEnvironmentSchema = lazy((z) =>
  dockerOnKubernetesEnvironmentSchema().extend({
    maxWorkers: whole(z, 1, "give a whole number ≥ 1").default(1),
    ...runtimeShape(z),
  }),
);
