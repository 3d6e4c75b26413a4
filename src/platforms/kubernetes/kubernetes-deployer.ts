/**
 * The Kubernetes agent's deployer: each claimed run becomes a stage "deploy" Job in the agent's
 * namespace, from the flow's image (the serialized environment's `metadata.image`, set at registration
 * from Docker storage), running `sluice execute flow-run --stage deploy` with the run contract's variables.
 * The API key is a reference to a Kubernetes Secret, never a value in the manifest. The Job is named from
 * the run id: creating it again for the same run is idempotent, and a finished Job of an earlier attempt
 * (a rescheduled run) is replaced. Every loop turn, the JobManager watches what it and the environments
 * created.
 */
import { randomUUID } from "node:crypto";
import type { ClaimedFlowRun } from "../../client/index.js";
import { SluiceError } from "../../core/errors.js";
import { KubernetesApi } from "./kubernetes-api.js";
import { toEnvVars } from "./run-env.js";
import { requireImage, type DeployContext, type Deployer, type Deployment } from "../../agents/deployer.js";
import { buildAgentJob } from "./agent-job.js";
import { JobManager } from "./job-manager.js";
import type { KubernetesAgentOptions } from "./agent-options.js";
import { jobOutcome } from "./pod-status.js";
import { refuseUnlessRuns } from "../run-refusal.js";

/** How long a finished Job of an earlier attempt may take to go away before the run's Job is created again. */
const REPLACE_TIMEOUT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class KubernetesDeployer implements Deployer {
  readonly kind = "kubernetes";
  readonly options: KubernetesAgentOptions;
  #api: Promise<KubernetesApi> | undefined;
  #manager: JobManager | undefined;

  constructor(options: KubernetesAgentOptions) {
    this.options = options;
  }

  async #connect(): Promise<{ api: KubernetesApi; manager: JobManager }> {
    this.#api ??= KubernetesApi.connect(this.options.connection);
    this.#api.catch(() => (this.#api = undefined));
    const api = await this.#api;
    this.#manager ??= new JobManager(api, {
      namespace: this.options.namespace,
      deleteFinishedJobs: this.options.deleteFinishedJobs,
      terminationReport: this.options.terminationReport,
    });
    return { api, manager: this.#manager };
  }

  /** Connects at start, so a bad kubeconfig or context stops the agent before it claims anything. */
  async prepare(ctx: DeployContext): Promise<void> {
    const { api } = await this.#connect();
    ctx.logger.info(`Kubernetes agent ${ctx.agent.name}: Jobs go to namespace ${this.options.namespace} at ${api.server}`);
  }

  async deploy(run: ClaimedFlowRun, ctx: DeployContext): Promise<Deployment> {
    const flowRunId = run.flowRun.id;
    refuseUnlessRuns(this.kind, this.options.routing, { flowRunId, flowName: run.flow.name, environmentType: run.flow.environment.type });
    const image = requireImage(run, this.kind);
    const { api, manager } = await this.#connect();
    const o = this.options;
    const location = (run.flow.storage as { flows?: Record<string, unknown> }).flows?.[run.flow.name];
    const extra: Record<string, string> = { ...o.env, SLUICE__CONTEXT__NAMESPACE: o.namespace };
    if (o.apiKeySecret) {
      // Stage "deploy" hands the same Secret reference on to what it launches (stage "run").
      extra.SLUICE__KUBERNETES__API_KEY_SECRET_NAME = o.apiKeySecret.name;
      extra.SLUICE__KUBERNETES__API_KEY_SECRET_KEY = o.apiKeySecret.key;
    }
    const env = ctx.runEnv(run, { image, ...(typeof location === "string" ? { flowFilePath: location } : {}), env: extra });
    const job = buildAgentJob({
      template: o.template,
      image,
      flowRunId,
      identifier: randomUUID(),
      agentName: ctx.agent.name,
      env: toEnvVars(env, o.apiKeySecret),
      sluiceCommand: o.sluiceCommand,
      ...(o.serviceAccountName !== undefined ? { serviceAccountName: o.serviceAccountName } : {}),
      imagePullSecrets: o.imagePullSecrets,
    });
    const name = job.metadata.name!;
    let { job: created, created: isNew } = await api.createJob(o.namespace, job, flowRunId);
    if (!isNew && jobOutcome(created)) {
      // A finished Job of an earlier attempt of this run (it was rescheduled): replace it.
      await ctx.logRun(flowRunId, "info", `Replacing the finished Kubernetes Job ${name} of an earlier attempt of this run`);
      await api.deleteJob(o.namespace, name, "Foreground");
      const deadline = Date.now() + REPLACE_TIMEOUT_MS;
      while ((await api.readJob(o.namespace, name)) !== null) {
        if (Date.now() > deadline)
          throw new SluiceError("DEPLOY_FAILED", `the finished Job ${name} of an earlier attempt was not deleted within ${REPLACE_TIMEOUT_MS / 1000} s`, {
            flowRunId,
            kind: "kubernetes",
          });
        await sleep(250);
      }
      ({ job: created, created: isNew } = await api.createJob(o.namespace, job, flowRunId));
    }
    const done = manager.track(flowRunId, name, o.followedTypes.has(run.flow.environment.type));
    return {
      description: `${isNew ? "created" : "found existing"} Kubernetes Job ${created.metadata?.name ?? name} in namespace ${o.namespace} (image ${image})`,
      done,
    };
  }

  async manage(ctx: DeployContext): Promise<void> {
    const { manager } = await this.#connect();
    await manager.turn(ctx);
  }

  /** With `stopRuns`, deletes the Jobs of the runs still managed; otherwise they keep running and report by themselves. */
  async close(options: { stopRuns: boolean }): Promise<void> {
    await this.#manager?.close({ deleteJobs: options.stopRuns });
  }
}
