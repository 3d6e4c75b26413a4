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
import { Environment, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult, type SerializedScalar } from "../../../core/environment.js";
import type { FlowRunResult } from "../../../core/flow-options.js";
import { parseOptions } from "../../../core/parse-options.js";
import { loadJobSpec } from "../job-spec.js";
import type { JobManifest } from "../manifest-types.js";
import { clusterExecute, clusterJob, clusterRuntime, noExecutor, type ClusterLaunchSettings } from "./cluster-launch.js";
import type { ClusterRunOptions, ClusterRunSettings, ClusterRuntime } from "./cluster-run.js";
import { kubernetesClusterOptionsSchema, type KubernetesClusterEnvironmentOptions } from "./options.js";
import { loadPodSpec, type PodManifest } from "./pod-spec.js";
import { DEFAULT_DOCKER_SECRET, registrySecretName } from "./registry-secret.js";

const OWNER = "KubernetesClusterEnvironment";
let warnedDeprecated = false;

export type { KubernetesClusterEnvironmentOptions };

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
    const o = parseOptions(kubernetesClusterOptionsSchema(), own, OWNER);
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
