/**
 * KubernetesClusterEnvironment: runs a flow on a
 * temporary cluster of Sluice workers on Kubernetes.
 *
 * - `setup(flow)`: with the deprecated `privateRegistry`, creates the registry pull Secret
 *   `<namespace>-docker` from the server secret `dockerSecret` when it is missing.
 * - `execute(flow)`: creates the scheduler Job `sluice-cluster-job-<run>` (default or custom spec) whose
 *   first container loads the flow and calls `run(flow)`.
 * - `run(flow)`, in the scheduler: the broker (yours, or an ephemeral Redis with a password for the run),
 *   worker pods scaled between `minWorkers` and `maxWorkers` by queue depth, the flow run with the
 *   distributed executor, and every pod, Service and Secret of the run removed at the end (see cluster-run.ts).
 *
 * `serialize()` carries minWorkers, maxWorkers and workStealing only: never the specs, their paths, the
 * broker (its URL may hold a password) or secrets.
 */
import {
  Environment,
  type EnvironmentFlow,
  type EnvironmentOptions,
  type ExecuteOptions,
  type ExecuteResult,
  type SerializedScalar,
} from "../../../core/environment.js";
import type { FlowRunResult } from "../../../core/flow-options.js";
import { lazy } from "../../../core/zod.js";
import { parseOptions } from "../../../core/parse-options.js";
import { loadJobSpec } from "../job-spec.js";
import type { JobManifest } from "../manifest-types.js";
import { clusterExecute, clusterJob, clusterRuntime, noExecutor, type ClusterLaunchSettings } from "./cluster-launch.js";
import type { ClusterRunOptions, ClusterRunSettings, ClusterRuntime, ClusterRuntimeOptions } from "./cluster-run.js";
import { kubernetesClusterEnvironmentSchema } from "./options.js";
import { loadPodSpec, type PodManifest } from "./pod-spec.js";
import { DEFAULT_DOCKER_SECRET, registrySecretName } from "./registry-secret.js";

const OWNER = "KubernetesClusterEnvironment";
let warnedDeprecated = false;

export interface KubernetesClusterEnvironmentOptions extends Omit<EnvironmentOptions, "executor">, ClusterRuntimeOptions {
  /** Fewest worker pods while the flow runs (0: none until tasks wait). @default 1 */
  minWorkers?: number;
  /** Most worker pods at once. @default 2 */
  maxWorkers?: number;
  /**
   * Let any idle worker take any queued task (true), or queue a task for the worker that ran its upstream
   * task (false). Set on the default scheduler spec only; with a custom one, set
   * SLUICE__EXECUTOR__WORK_STEALING in its container yourself.
   * @default true
   */
  workStealing?: boolean;
  /** Add the scheduler's own messages (broker, workers created and removed, scaling decisions) to the run's logs. @default false */
  schedulerLogs?: boolean;
  /** A Job spec YAML for the scheduler, used instead of the default (read at construction). @default undefined (the default spec) */
  schedulerSpecFile?: string | URL;
  /** A Pod spec YAML for the workers, used instead of the default (read at construction). @default undefined (the default spec) */
  workerSpecFile?: string | URL;
  /** Pull Secret names for the default scheduler, worker and broker pods, comma-separated: "a,b". Not added to custom specs. @default undefined */
  imagePullSecret?: string;
  /** Add the Kubernetes errors the cluster recovers from (failed pod creations, API errors) to the run's logs. @default false */
  logK8sErrors?: boolean;
  /** @deprecated use imagePullSecret. Create the pull Secret `<namespace>-docker` from the server secret `dockerSecret` in setup. @default false */
  privateRegistry?: boolean;
  /** @deprecated use imagePullSecret. The server secret holding registry credentials. @default "DOCKER_REGISTRY_CREDENTIALS" */
  dockerSecret?: string;
}

const optionsSchema = lazy((z) => {
  const fileOption = z.union([z.string().min(1), z.instanceof(URL)]).optional();
  return kubernetesClusterEnvironmentSchema()
    .extend({ schedulerSpecFile: fileOption, workerSpecFile: fileOption })
    .refine((o) => o.minWorkers <= o.maxWorkers, {
      path: ["minWorkers"],
      error: "minWorkers must not exceed maxWorkers",
    });
});

export class KubernetesClusterEnvironment extends Environment {
  static readonly serializedType = "KubernetesClusterEnvironment";

  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly workStealing: boolean;
  readonly schedulerLogs: boolean;
  readonly logK8sErrors: boolean;
  readonly privateRegistry: boolean;
  readonly dockerSecret: string;
  /** Names from `imagePullSecret`. */
  readonly imagePullSecrets: readonly string[];
  /** Absolute paths the custom specs were read from. */
  readonly schedulerSpecPath: string | undefined;
  readonly workerSpecPath: string | undefined;
  readonly #schedulerSpec: JobManifest | undefined;
  readonly #workerSpec: PodManifest | undefined;
  readonly #runtime: ClusterRuntime;

  constructor(options: KubernetesClusterEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, ...own } = options;
    noExecutor(OWNER, own);
    super({ labels, onStart, onExit, metadata });
    const o = parseOptions(optionsSchema(), own, OWNER);
    this.minWorkers = o.minWorkers;
    this.maxWorkers = o.maxWorkers;
    this.workStealing = o.workStealing;
    this.schedulerLogs = o.schedulerLogs;
    this.logK8sErrors = o.logK8sErrors;
    this.privateRegistry = o.privateRegistry;
    this.dockerSecret = o.dockerSecret ?? DEFAULT_DOCKER_SECRET;
    if ((o.privateRegistry || o.dockerSecret !== undefined) && !warnedDeprecated) {
      warnedDeprecated = true;
      process.emitWarning(
        `${OWNER}: privateRegistry and dockerSecret are deprecated; create a pull Secret and give its name as imagePullSecret`,
        "DeprecationWarning",
      );
    }
    this.imagePullSecrets = o.imagePullSecret ? o.imagePullSecret.split(",") : [];
    this.#runtime = clusterRuntime(OWNER, o);
    if (o.schedulerSpecFile !== undefined) {
      const loaded = loadJobSpec(o.schedulerSpecFile, { owner: OWNER, option: "schedulerSpecFile" });
      this.#schedulerSpec = loaded.spec;
      this.schedulerSpecPath = loaded.path;
    }
    if (o.workerSpecFile !== undefined) {
      const loaded = loadPodSpec(o.workerSpecFile, OWNER, "workerSpecFile");
      this.#workerSpec = loaded.spec;
      this.workerSpecPath = loaded.path;
    }
  }

  /** The custom specs: DockerStorage copies them into the flow's image at these same paths, where the module reads them again. */
  override get imageFiles(): readonly string[] {
    return [this.schedulerSpecPath, this.workerSpecPath].filter((path): path is string => path !== undefined);
  }

  protected override serializedFields(): Record<string, SerializedScalar> {
    return { minWorkers: this.minWorkers, maxWorkers: this.maxWorkers, workStealing: this.workStealing };
  }

  #pullSecrets(namespace: string): string[] {
    return [...this.imagePullSecrets, ...(this.privateRegistry ? [registrySecretName(namespace)] : [])];
  }

  #launch(): ClusterLaunchSettings {
    return {
      ownerName: OWNER,
      schedulerSpec: this.#schedulerSpec,
      pullSecrets: (namespace) => this.#pullSecrets(namespace),
      workStealing: this.workStealing,
      sluiceCommand: this.#runtime.sluiceCommand,
      createdBy: "kubernetes-cluster-environment",
      image: this.metadata.image,
    };
  }

  /** With `privateRegistry`, creates the pull Secret `<namespace>-docker` from the server secret when it is missing. */
  override async setup(_flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<void> {
    if (!this.privateRegistry) return;
    const { ensureRegistrySecret } = await import("./registry-secret-setup.js");
    await ensureRegistrySecret(OWNER, this.dockerSecret, options);
  }

  /** The scheduler Job that `execute()` would create for this run (no API call), for inspection and dry runs. */
  buildJob(flow: EnvironmentFlow, options: ExecuteOptions = {}): { job: JobManifest; namespace: string; flowRunId: string } {
    const { job, namespace, flowRunId } = clusterJob(this.#launch(), flow, options);
    return { job, namespace, flowRunId };
  }

  /** Creates the run's scheduler Job; resolves once Kubernetes accepted it. */
  async execute(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return clusterExecute(this.#launch(), flow, options);
  }

  /** Runs the flow on a temporary worker cluster (in the scheduler Job). */
  override async run(flow: EnvironmentFlow, options: ClusterRunOptions = {}): Promise<FlowRunResult> {
    const { config: _config, ...runOptions } = options;
    const settings: ClusterRunSettings = {
      ...this.#runtime,
      ownerName: OWNER,
      minWorkers: this.minWorkers,
      maxWorkers: this.maxWorkers,
      workStealing: this.#schedulerSpec ? undefined : this.workStealing,
      workerSpec: this.#workerSpec,
      pullSecrets: (namespace) => this.#pullSecrets(namespace),
      image: this.metadata.image,
      schedulerLogs: this.schedulerLogs,
      logK8sErrors: this.logK8sErrors,
    };
    // The scheduler (cluster API, scaler, broker launch) loads when a run starts, not when Sluice is imported.
    const { runOnCluster } = await import("./cluster-run.js");
    return runOnCluster(settings, flow, options, (executor, flowRunId) => super.run(flow, { ...runOptions, flowRunId, executor }));
  }
}
