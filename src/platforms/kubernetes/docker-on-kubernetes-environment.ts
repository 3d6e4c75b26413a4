/**
 * DockerOnKubernetesEnvironment: builds the flow's image itself and runs the flow
 * as one Kubernetes Job in namespace `default`.
 *
 * - `build(flow, push = true)` builds an image holding the flow (as DockerStorage does, with this
 *   environment's baseImage, registryUrl, dependencies, imageName, imageTag, env and files) and returns a
 *   DockerEnvironment naming that image;
 * - `setup()` does nothing: there is nothing to provision;
 * - `execute(flow)` creates one Job in namespace `default`, labelled with a fresh identifier (so what it
 *   created can be cleaned up apart from other deployments) and the flow-run id, that runs the flow.
 *
 * ```ts
 * const environment = new DockerOnKubernetesEnvironment({ registryUrl: "127.0.0.1:5000", dependencies: ["lodash@4"] });
 * const dockerEnvironment = await environment.build(myFlow);   // builds and pushes the image
 * await environment.execute(myFlow);                            // a Job in namespace default runs it
 * ```
 */
import type { z } from "zod";
import { defaultConfig } from "../../config/defaults.js";
import type { SluiceConfig } from "../../config/schema.js";
import { Environment, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult } from "../../core/environment.js";
import type { BuildOutput, StorableFlow } from "../../core/storage.js";
import { parseOptions } from "../../core/parse-options.js";
// eslint-disable-next-line import-x/no-restricted-paths -- build() returns the Docker environment that names the image it built: public behaviour of the image-building kinds, the one place a platform reaches another
import type { DockerEnvironment } from "../docker/docker-environment.js";
import { buildDockerJob } from "./docker-job.js";
import { DEFAULT_SLUICE_COMMAND, flowEntry } from "./entry.js";
import { createRunJob, launchContext, withRunLog } from "./launch.js";
import { dockerOnKubernetesEnvironmentSchema, type DockerImageBuildOptions, type DockerOnKubernetesEnvironmentOptions } from "./environment-options.js";

/** The namespace DockerOnKubernetesEnvironment's Jobs are created in. */
export const DOCKER_ON_KUBERNETES_NAMESPACE = "default";

export type { DockerImageBuildOptions, DockerOnKubernetesEnvironmentOptions };

/** Options of `build()` beyond `push`. */
export interface DockerOnKubernetesBuildOptions {
  /** Sluice's configuration (Docker engine address, default base image). @default the schema's defaults */
  config?: SluiceConfig;
  /** Where build output goes. @default nowhere */
  output?: BuildOutput;
}

type BuildFlow = EnvironmentFlow & StorableFlow;

/** The image options among validated ones, leaving out those not given (DockerStorage then uses its defaults). */
export function imageBuildOptions(o: Omit<z.output<ReturnType<typeof dockerOnKubernetesEnvironmentSchema>>, "sluiceCommand">): DockerImageBuildOptions {
  return {
    ...(o.baseImage !== undefined ? { baseImage: o.baseImage } : {}),
    ...(o.registryUrl !== undefined ? { registryUrl: o.registryUrl } : {}),
    ...(o.imageName !== undefined ? { imageName: o.imageName } : {}),
    ...(o.imageTag !== undefined ? { imageTag: o.imageTag } : {}),
    dependencies: o.dependencies,
    env: o.env,
    files: o.files,
  };
}

export class DockerOnKubernetesEnvironment extends Environment {
  static readonly serializedType = "DockerOnKubernetesEnvironment";

  readonly options: z.output<ReturnType<typeof dockerOnKubernetesEnvironmentSchema>>;
  /** The image and the flow's module in it, after `build()`. */
  #built: { image: string; module: string; flowName: string } | undefined;

  constructor(options: DockerOnKubernetesEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, executor, ...own } = options;
    super({ labels, onStart, onExit, metadata, executor });
    this.options = parseOptions(dockerOnKubernetesEnvironmentSchema(), own, "DockerOnKubernetesEnvironment");
  }

  /** The image built by the last `build()`, if any. */
  get image(): string | undefined {
    return this.#built?.image;
  }

  /** What the last `build()` made: the image, and where the flow's module is in it. */
  get built(): { image: string; module: string; flowName: string } | undefined {
    return this.#built ? { ...this.#built } : undefined;
  }

  /**
   * Builds the image holding `flow` (and pushes it when `push` and a registry is set). Resolves to a
   * DockerEnvironment naming the image, with this environment's labels, metadata and executor.
   */
  async build(flow: BuildFlow, push = true, options: DockerOnKubernetesBuildOptions = {}): Promise<DockerEnvironment> {
    // eslint-disable-next-line import-x/no-restricted-paths -- build() returns the Docker environment that names the image it built: public behaviour of the image-building kinds, the one place a platform reaches another
    const [{ DockerStorage }, { DockerEnvironment }] = await Promise.all([import("../../storage/docker/index.js"), import("../docker/docker-environment.js")]);
    const storage = new DockerStorage(imageBuildOptions(this.options));
    storage.addFlow(flow);
    await storage.build({ push, config: options.config ?? defaultConfig(), ...(options.output ? { output: options.output } : {}) });
    const image = storage.image!;
    this.#built = { image, module: storage.locate(flow.name).module, flowName: flow.name };
    return new DockerEnvironment({
      image,
      labels: [...this.labels],
      metadata: { ...this.metadata, image },
      ...(this.executor ? { executor: this.executor } : {}),
    });
  }

  /** Creates one Job in namespace `default` that runs `flow`. */
  async execute(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return withRunLog("DockerOnKubernetesEnvironment", options, async () => {
      const built = this.#built?.flowName === flow.name ? this.#built : undefined;
      const context = launchContext("DockerOnKubernetesEnvironment", flow, options, {
        image: this.metadata.image ?? built?.image,
        ...(built ? { module: built.module } : {}),
        namespace: DOCKER_ON_KUBERNETES_NAMESPACE,
      });
      const executor = typeof options.executor === "string" ? options.executor : options.executor?.kind;
      const entry = flowEntry({
        module: context.module,
        flowName: flow.name,
        sluiceCommand: this.options.sluiceCommand ?? DEFAULT_SLUICE_COMMAND,
        parameters: options.parameters,
        executor,
        reportsToServer: options.flowId !== undefined,
      });
      const job = buildDockerJob({
        image: context.image,
        flowRunId: context.flowRunId,
        identifier: context.identifier,
        env: context.env,
        command: entry.command,
        args: entry.args,
      });
      return createRunJob("DockerOnKubernetesEnvironment", context, job, options);
    });
  }
}
