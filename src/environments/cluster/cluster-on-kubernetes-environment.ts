/**
 * ClusterOnKubernetesEnvironment (spec §3, the seeds' 2019 DaskOnKubernetesEnvironment): builds the
 * flow's image itself and runs the flow on a temporary worker cluster from one scheduler Job in
 * namespace `default`, with workers scaled from 1 to `maxWorkers`.
 *
 * - `build(flow, push = true)` builds the image as DockerOnKubernetesEnvironment does (baseImage,
 *   registryUrl, dependencies, imageName, imageTag, env, files) and returns a DockerEnvironment naming it;
 * - `setup()` does nothing;
 * - `execute(flow)` creates the scheduler Job in `default`, labelled with a fresh identifier (for cleanup)
 *   and the flow-run id;
 * - `run(flow)`, in that Job, is KubernetesClusterEnvironment's: broker, workers, flow, cleanup.
 *
 * ```ts
 * const environment = new ClusterOnKubernetesEnvironment({ registryUrl: "127.0.0.1:5000", maxWorkers: 3 });
 * await environment.build(myFlow);      // builds and pushes the image
 * await environment.execute(myFlow);    // the scheduler Job in namespace default runs it on 1..3 workers
 * ```
 */
import type { z } from "zod";
import { Environment, type EnvironmentFlow, type EnvironmentOptions, type ExecuteOptions, type ExecuteResult, type SerializedScalar } from "../../core/environment.js";
import type { FlowRunResult } from "../../core/flow-options.js";
import type { StorableFlow } from "../../core/storage.js";
import type { RedisSpec } from "../../executors/distributed/redis-connection.js";
import { parseOptions } from "../../storage/parse-options.js";
import type { DockerEnvironment } from "../docker/docker-environment.js";
import { DockerOnKubernetesEnvironment, DOCKER_ON_KUBERNETES_NAMESPACE, type DockerOnKubernetesBuildOptions } from "../kubernetes/docker-on-kubernetes-environment.js";
import { DEFAULT_SLUICE_COMMAND } from "../kubernetes/entry.js";
import type { EphemeralBrokerSettings } from "./broker.js";
import { checkBroker, clusterExecute, noExecutor, type ClusterLaunchSettings } from "./cluster-launch.js";
import { runOnCluster, type ClusterRunOptions, type ClusterRuntime } from "./cluster-run.js";
import { clusterOnKubernetesEnvironmentSchema } from "./options.js";

const OWNER = "ClusterOnKubernetesEnvironment";

export interface ClusterOnKubernetesEnvironmentOptions extends Omit<EnvironmentOptions, "executor"> {
  /** Image to build FROM (Node >= 20.11 with /bin/sh). @default config docker.baseImage ("node:20-slim") */
  baseImage?: string;
  /** Registry to push the image to, as host[:port][/path]. No registry: the image is not pushed. @default undefined */
  registryUrl?: string;
  /** npm packages the flow imports, as `npm install` specs (the seeds' python_dependencies). @default [] */
  dependencies?: string[];
  /** Name of the image. @default the slug of the flow's name */
  imageName?: string;
  /** Tag of the image. @default a slug of the UTC time of the build */
  imageTag?: string;
  /** Environment variables set in the image. @default {} */
  env?: Record<string, string>;
  /** Files to copy into the image: absolute path on this machine → absolute path in the image. @default {} */
  files?: Record<string, string>;
  /** Most worker pods at once (the cluster starts with one). @default 1 */
  maxWorkers?: number;
  /** The broker: a Redis URL or { url, password, tls }. @default undefined (an ephemeral Redis per run) */
  broker?: RedisSpec;
  /** Accept a broker not on the scheduler's machine with neither password nor TLS. @default false */
  allowInsecureBroker?: boolean;
  /** The ephemeral broker: { image = "redis:7-alpine", port = 6379, address = "service" | "pod-ip", startTimeoutMs = 120000 }. @default {} */
  ephemeralBroker?: Partial<EphemeralBrokerSettings>;
  /** Time between two scaling decisions, in ms. @default 2000 */
  scaleIntervalMs?: number;
  /** How long fewer workers must be wanted before idle ones are removed, in ms. @default 10000 */
  scaleDownDelayMs?: number;
  /** How long tasks may wait with no live worker before the run fails, in ms. @default 300000 */
  workerStartTimeoutMs?: number;
  /** Worker pods that may end (crash, eviction, OOM) before the run fails. @default 3 */
  maxWorkerFailures?: number;
  /** How containers start Sluice's CLI. @default ["sluice"] */
  sluiceCommand?: string[];
}

export class ClusterOnKubernetesEnvironment extends Environment {
  static readonly serializedType = "ClusterOnKubernetesEnvironment";

  readonly maxWorkers: number;
  readonly options: z.output<typeof clusterOnKubernetesEnvironmentSchema>;
  readonly #builder: DockerOnKubernetesEnvironment;
  readonly #runtime: ClusterRuntime;

  constructor(options: ClusterOnKubernetesEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, ...own } = options;
    noExecutor(OWNER, own);
    super({ labels, onStart, onExit, metadata });
    const o = parseOptions(clusterOnKubernetesEnvironmentSchema, own, OWNER);
    this.options = o;
    this.maxWorkers = o.maxWorkers;
    if (o.broker !== undefined) checkBroker(OWNER, o.broker, o.allowInsecureBroker);
    const { baseImage, registryUrl, dependencies, imageName, imageTag, env, files } = o;
    this.#builder = new DockerOnKubernetesEnvironment({
      ...(baseImage !== undefined ? { baseImage } : {}),
      ...(registryUrl !== undefined ? { registryUrl } : {}),
      ...(imageName !== undefined ? { imageName } : {}),
      ...(imageTag !== undefined ? { imageTag } : {}),
      dependencies,
      env,
      files,
      labels: [...this.labels],
      metadata: this.metadata,
    });
    this.#runtime = {
      broker: o.broker,
      allowInsecureBroker: o.allowInsecureBroker,
      ephemeralBroker: o.ephemeralBroker,
      scaleIntervalMs: o.scaleIntervalMs,
      scaleDownDelayMs: o.scaleDownDelayMs,
      workerStartTimeoutMs: o.workerStartTimeoutMs,
      maxWorkerFailures: o.maxWorkerFailures,
      sluiceCommand: o.sluiceCommand ?? DEFAULT_SLUICE_COMMAND,
    };
  }

  /** The image built by the last `build()`, if any. */
  get image(): string | undefined {
    return this.#builder.built?.image;
  }

  protected override serializedFields(): Record<string, SerializedScalar> {
    return { maxWorkers: this.maxWorkers };
  }

  /** Builds the image holding `flow` (pushed when `push` and a registry is set); resolves to a DockerEnvironment naming it. */
  async build(flow: EnvironmentFlow & StorableFlow, push = true, options: DockerOnKubernetesBuildOptions = {}): Promise<DockerEnvironment> {
    return this.#builder.build(flow, push, options);
  }

  #launch(flow: EnvironmentFlow): ClusterLaunchSettings {
    const built = this.#builder.built?.flowName === flow.name ? this.#builder.built : undefined;
    return {
      ownerName: OWNER,
      schedulerSpec: undefined,
      pullSecrets: () => [],
      workStealing: true,
      sluiceCommand: this.#runtime.sluiceCommand,
      createdBy: "cluster-on-kubernetes",
      image: this.metadata.image ?? built?.image,
      ...(built ? { module: built.module } : {}),
      namespace: DOCKER_ON_KUBERNETES_NAMESPACE,
    };
  }

  /** Creates the scheduler Job in namespace `default`; resolves once Kubernetes accepted it. */
  async execute(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return clusterExecute(this.#launch(flow), flow, options);
  }

  /** Runs the flow on a temporary cluster of 1 to `maxWorkers` workers (in the scheduler Job). */
  override async run(flow: EnvironmentFlow, options: ClusterRunOptions = {}): Promise<FlowRunResult> {
    const { config: _config, ...runOptions } = options;
    return runOnCluster(
      {
        ...this.#runtime,
        ownerName: OWNER,
        minWorkers: 1,
        maxWorkers: this.maxWorkers,
        workStealing: true,
        workerSpec: undefined,
        pullSecrets: () => [],
        schedulerLogs: false,
        logK8sErrors: false,
        namespace: DOCKER_ON_KUBERNETES_NAMESPACE,
        image: this.metadata.image,
      },
      flow,
      options,
      (executor, flowRunId) => super.run(flow, { ...runOptions, flowRunId, executor }),
    );
  }
}
