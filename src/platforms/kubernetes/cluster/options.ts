/**
 * Options of the worker-cluster environments beyond the common ones, as zod schemas built on first use,
 * and the option types derived from them: one source. The TSDoc of each option sits on its schema field,
 * and editors show it on the derived types. Light on purpose: the environment registry imports this
 * file, never the classes (which load the Kubernetes client and BullMQ on first use).
 */
import type { z } from "zod";
import type { EnvironmentOptions } from "../../../core/environment.js";
import { lazy, type Zod } from "../../../core/zod.js";
import { brokerSchema } from "../../../executors/distributed/schema.js";
import { dockerOnKubernetesEnvironmentSchema } from "../environment-options.js";

/** Image of the ephemeral broker (its `redis-server` is run with the run's password). */
export const DEFAULT_BROKER_IMAGE = "redis:7-alpine";

const whole = (z: Zod, min: number, message: string) => z.number().int(message).min(min, message);
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The ephemeral broker started for each run when no broker is given. */
export const ephemeralBrokerSchema = lazy((z) =>
  z.strictObject({
    /** Image holding `redis-server`. @default "redis:7-alpine" */
    image: z.string().min(1, 'give an image holding redis-server, e.g. "redis:7-alpine"').default(DEFAULT_BROKER_IMAGE),
    /** Port Redis listens on in its pod (and the Service's port). @default 6379 */
    port: z.number().int().min(1).max(65535, "a port is 1 to 65535").default(6379),
    /** How the scheduler and workers reach it: the Service's DNS name, or the pod's IP (clusters without DNS). @default "service" */
    address: z.enum(["service", "pod-ip"]).default("service"),
    /** How long the broker may take to answer, in ms. @default 120000 */
    startTimeoutMs: whole(z, 1000, "give a whole number of ms ≥ 1000").default(120_000),
  }),
);

/** How the scheduler runs its cluster: the options both cluster environments share. */
const runtimeShape = (z: Zod) => ({
  /**
   * The broker: a Redis URL (rediss://:password@host:6380) or { url, password, tls }. Not given: an
   * ephemeral Redis is started for each run (pod + Service, password per run) and removed after.
   * @default undefined (ephemeral)
   */
  broker: brokerSchema().optional(),
  /** Accept a broker that is not on the scheduler's machine and has neither password nor TLS. @default false */
  allowInsecureBroker: z.boolean().default(false),
  /** The ephemeral broker: { image = "redis:7-alpine", port = 6379, address = "service" | "pod-ip", startTimeoutMs = 120000 }. @default {} */
  ephemeralBroker: ephemeralBrokerSchema().prefault({}),
  /** Time between two scaling decisions, in ms. @default 2000 */
  scaleIntervalMs: whole(z, 100, "give a whole number of ms ≥ 100").default(2000),
  /** How long fewer workers must be wanted before idle ones are removed, in ms. @default 10000 */
  scaleDownDelayMs: whole(z, 0, "give a whole number of ms ≥ 0").default(10_000),
  /** How long tasks may wait with no live worker before the run fails, in ms. @default 300000 */
  workerStartTimeoutMs: whole(z, 1000, "give a whole number of ms ≥ 1000").default(300_000),
  /** Worker pods that may end (crash, eviction, OOM) before the run fails. @default 3 */
  maxWorkerFailures: whole(z, 1, "give a whole number ≥ 1").default(3),
  /** How containers start Sluice's CLI (scheduler: `execute flow ...`; workers: `worker ...` appended). @default ["sluice"] */
  sluiceCommand: z
    .array(z.string().min(1, "each part of the command is a non-empty string"))
    .min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]')
    .optional(),
});

/** How the scheduler runs its cluster: the options both cluster environments share, as given. */
export type ClusterRuntimeOptions = z.input<z.ZodObject<ReturnType<typeof runtimeShape>>>;

const pullSecrets = (z: Zod) =>
  z.string().refine((v) => v.split(",").every((name) => K8S_NAME.test(name) && name.length <= 253), {
    error: 'give Secret names separated by commas, without spaces, e.g. "some-secret,other-secret"',
  });

/** KubernetesClusterEnvironment's own options in their JSON form; minWorkers ≤ maxWorkers is checked by `kubernetesClusterOptionsSchema`. */
export const kubernetesClusterEnvironmentSchema = lazy((z) =>
  z.strictObject({
    /** Fewest worker pods while the flow runs (0: none until tasks wait). @default 1 */
    minWorkers: whole(z, 0, "give a whole number ≥ 0").default(1),
    /** Most worker pods at once. @default 2 */
    maxWorkers: whole(z, 1, "give a whole number ≥ 1").default(2),
    /**
     * Let any idle worker take any queued task (true), or queue a task for the worker that ran its upstream
     * task (false). Set on the default scheduler spec only; with a custom one, set
     * SLUICE__EXECUTOR__WORK_STEALING in its container yourself.
     * @default true
     */
    workStealing: z.boolean().default(true),
    /** Add the scheduler's own messages (broker, workers created and removed, scaling decisions) to the run's logs. @default false */
    schedulerLogs: z.boolean().default(false),
    /** A Job spec YAML for the scheduler, used instead of the default (read at construction). @default undefined (the default spec) */
    schedulerSpecFile: z.string().min(1, 'give the path of a Job spec YAML file, e.g. "scheduler_job.yaml"').optional(),
    /** A Pod spec YAML for the workers, used instead of the default (read at construction). @default undefined (the default spec) */
    workerSpecFile: z.string().min(1, 'give the path of a Pod spec YAML file, e.g. "worker_pod.yaml"').optional(),
    /** Pull Secret names for the default scheduler, worker and broker pods, comma-separated: "a,b". Not added to custom specs. @default undefined */
    imagePullSecret: pullSecrets(z).optional(),
    /** Add the Kubernetes errors the cluster recovers from (failed pod creations, API errors) to the run's logs. @default false */
    logK8sErrors: z.boolean().default(false),
    /** @deprecated use imagePullSecret. Create the pull Secret `<namespace>-docker` from the server secret `dockerSecret` in setup. @default false */
    privateRegistry: z.boolean().default(false),
    /** @deprecated use imagePullSecret. The server secret holding registry credentials. @default "DOCKER_REGISTRY_CREDENTIALS" */
    dockerSecret: z.string().min(1).optional(),
    ...runtimeShape(z),
  }),
);

/** The same options as the class takes them: the spec files may be file: URLs too, and minWorkers ≤ maxWorkers. */
export const kubernetesClusterOptionsSchema = lazy((z) => {
  const fileOption = z.union([z.string().min(1), z.instanceof(URL)]).optional();
  return kubernetesClusterEnvironmentSchema()
    .extend({
      /** A Job spec YAML for the scheduler (a path or a file: URL), used instead of the default (read at construction). @default undefined (the default spec) */
      schedulerSpecFile: fileOption,
      /** A Pod spec YAML for the workers (a path or a file: URL), used instead of the default (read at construction). @default undefined (the default spec) */
      workerSpecFile: fileOption,
    })
    .refine((o) => o.minWorkers <= o.maxWorkers, {
      path: ["minWorkers"],
      error: "minWorkers must not exceed maxWorkers",
    });
});

/** Options of KubernetesClusterEnvironment: the common ones but `executor` (the cluster's own), and its own. */
export type KubernetesClusterEnvironmentOptions = Omit<EnvironmentOptions, "executor"> & z.input<ReturnType<typeof kubernetesClusterOptionsSchema>>;

/** ClusterOnKubernetesEnvironment's own options: the image it builds (as DockerOnKubernetesEnvironment), its size and the shared ones. */
export const clusterOnKubernetesEnvironmentSchema = lazy((z) =>
  dockerOnKubernetesEnvironmentSchema().extend({
    /** Most worker pods at once (the cluster starts with one). @default 1 */
    maxWorkers: whole(z, 1, "give a whole number ≥ 1").default(1),
    ...runtimeShape(z),
  }),
);

/** Options of ClusterOnKubernetesEnvironment: the common ones but `executor` (the cluster's own), and its own. */
export type ClusterOnKubernetesEnvironmentOptions = Omit<EnvironmentOptions, "executor"> & z.input<ReturnType<typeof clusterOnKubernetesEnvironmentSchema>>;
