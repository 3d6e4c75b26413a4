/**
 * ClusterOnKubernetesEnvironment: builds the
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
import { Environment, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult, type SerializedScalar } from "../../../core/environment.js";
import type { FlowRunResult } from "../../../core/flow-options.js";
import type { StorableFlow } from "../../../core/storage.js";
import { parseOptions } from "../../../core/parse-options.js";
// eslint-disable-next-line import-x/no-restricted-paths -- build() returns the Docker environment that names the image it built: public behaviour of the image-building kinds, the one place a platform reaches another
import type { DockerEnvironment } from "../../docker/docker-environment.js";
import {
  DockerOnKubernetesEnvironment,
  DOCKER_ON_KUBERNETES_NAMESPACE,
  imageBuildOptions,
  type DockerOnKubernetesBuildOptions,
} from "../docker-on-kubernetes-environment.js";
import { clusterExecute, clusterRuntime, noExecutor, type ClusterLaunchSettings } from "./cluster-launch.js";
import type { ClusterRunOptions, ClusterRuntime } from "./cluster-run.js";
import { clusterOnKubernetesEnvironmentSchema, type ClusterOnKubernetesEnvironmentOptions } from "./options.js";

const OWNER = "ClusterOnKubernetesEnvironment";

export type { ClusterOnKubernetesEnvironmentOptions };

export class ClusterOnKubernetesEnvironment extends Environment {
  static readonly serializedType = "ClusterOnKubernetesEnvironment";

  readonly maxWorkers: number;
  readonly options: z.output<ReturnType<typeof clusterOnKubernetesEnvironmentSchema>>;
  readonly #builder: DockerOnKubernetesEnvironment;
  readonly #runtime: ClusterRuntime;

  constructor(options: ClusterOnKubernetesEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, ...own } = options;
    noExecutor(OWNER, own);
    super({ labels, onStart, onExit, metadata });
    const o = parseOptions(clusterOnKubernetesEnvironmentSchema(), own, OWNER);
    this.options = o;
    this.maxWorkers = o.maxWorkers;
    this.#runtime = clusterRuntime(OWNER, o);
    this.#builder = new DockerOnKubernetesEnvironment({ ...imageBuildOptions(o), labels: [...this.labels], metadata: this.metadata });
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
    const { runOnCluster } = await import("./cluster-run.js");
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
