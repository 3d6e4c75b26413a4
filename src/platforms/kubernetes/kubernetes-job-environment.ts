/**
 * KubernetesJobEnvironment: runs a flow on a Kubernetes Job made from the user's own Job spec.
 *
 * - At construction (on the machine that registers the flow) the YAML is read and validated; errors name
 *   the file, the line and the field. The spec stays in the flow's storage (the image): `serialize()`
 *   carries only type, version, labels, metadata and `uniqueJobName`.
 * - `execute(flow)` creates the Job from a deep copy of the spec (see buildFlowRunJob for exactly what
 *   changes) in the run's namespace; an API error fails with the Kubernetes status message and reason.
 * - Inside that Job, Sluice's entry loads the flow and calls `run(flow)` (the base class).
 *
 * ```ts
 * const environment = new KubernetesJobEnvironment({ jobSpecFile: new URL("./job_spec.yaml", import.meta.url) });
 * export const k8sFlow = flow("k8s-job-flow", { environment, storage: new DockerStorage({ registryUrl: "127.0.0.1:5000" }) });
 * // the image holds job_spec.yaml at the path it was read from here (imageFiles), so the module loads there too
 * ```
 */
import { Environment, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult, type SerializedScalar } from "../../core/environment.js";
import { parseOptions } from "../../core/parse-options.js";
import { DEFAULT_SLUICE_COMMAND, flowEntry } from "./entry.js";
import { buildFlowRunJob } from "./flow-run-job.js";
import { loadJobSpec } from "./job-spec.js";
import { createRunJob, launchContext, withRunLog } from "./launch.js";
import type { JobManifest } from "./manifest-types.js";
import { randomSuffix } from "./names.js";
import { kubernetesJobOptionsSchema, type KubernetesJobEnvironmentOptions } from "./environment-options.js";

export type { KubernetesJobEnvironmentOptions };

export class KubernetesJobEnvironment extends Environment {
  static readonly serializedType = "KubernetesJobEnvironment";

  /** Whether every launched Job gets a unique name. */
  readonly uniqueJobName: boolean;
  /** The absolute path the spec was read from. */
  readonly jobSpecPath: string;
  /** How the flow's container starts Sluice's CLI. */
  readonly sluiceCommand: readonly string[];
  readonly #spec: JobManifest;

  constructor(options: KubernetesJobEnvironmentOptions) {
    const { labels, onStart, onExit, metadata, executor, ...own } = options ?? ({} as KubernetesJobEnvironmentOptions);
    super({ labels, onStart, onExit, metadata, executor });
    const o = parseOptions(kubernetesJobOptionsSchema(), own, "KubernetesJobEnvironment");
    this.uniqueJobName = o.uniqueJobName;
    this.sluiceCommand = o.sluiceCommand ?? DEFAULT_SLUICE_COMMAND;
    const loaded = loadJobSpec(o.jobSpecFile, { uniqueJobName: this.uniqueJobName });
    this.#spec = loaded.spec;
    this.jobSpecPath = loaded.path;
  }

  /** A deep copy of the validated spec (with the sections Sluice writes to created). */
  get jobSpec(): JobManifest {
    return structuredClone(this.#spec);
  }

  /** The job spec: DockerStorage copies it into the flow's image at this same path, where the module reads it again. */
  override get imageFiles(): readonly string[] {
    return [this.jobSpecPath];
  }

  protected override serializedFields(): Record<string, SerializedScalar> {
    return { uniqueJobName: this.uniqueJobName };
  }

  /** The Job that `execute()` would create for this run (no API call), for inspection and dry runs. */
  buildJob(flow: EnvironmentFlow, options: ExecuteOptions = {}): { job: JobManifest; namespace: string; flowRunId: string } {
    const context = launchContext("KubernetesJobEnvironment", flow, options, { image: this.metadata.image });
    return { job: this.#build(flow, options, context), namespace: context.namespace, flowRunId: context.flowRunId };
  }

  #build(flow: EnvironmentFlow, options: ExecuteOptions, context: ReturnType<typeof launchContext>): JobManifest {
    const executor = typeof options.executor === "string" ? options.executor : options.executor?.kind;
    const entry = flowEntry({
      module: context.module,
      flowName: flow.name,
      sluiceCommand: this.sluiceCommand,
      parameters: options.parameters,
      executor,
      reportsToServer: options.flowId !== undefined,
    });
    return buildFlowRunJob(this.#spec, {
      image: context.image,
      flowRunId: context.flowRunId,
      identifier: context.identifier,
      env: context.env,
      command: entry.command,
      args: entry.args,
      uniqueSuffix: this.uniqueJobName ? randomSuffix() : undefined,
      namespace: context.namespace,
    });
  }

  /** Creates the run's Job in the run's namespace; resolves once Kubernetes accepted it. */
  async execute(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return withRunLog("KubernetesJobEnvironment", options, async () => {
      const context = launchContext("KubernetesJobEnvironment", flow, options, { image: this.metadata.image });
      return createRunJob("KubernetesJobEnvironment", context, this.#build(flow, options, context), options);
    });
  }
}
