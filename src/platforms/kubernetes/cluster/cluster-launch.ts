/**
 * `execute(flow)` of the worker-cluster environments: the scheduler Job of the run, created in the run's
 * namespace (`default` for the kind that builds its own image). Plus what both classes do with their options at construction.
 */
import { defaultConfig } from "../../../config/defaults.js";
import type { EnvironmentFlow, ExecuteOptions, ExecuteResult } from "../../../core/environment.js";
import { SluiceError, showValue } from "../../../core/errors.js";
import { compileRedis, type RedisSpec } from "../../../executors/distributed/index.js";
import { DEFAULT_SLUICE_COMMAND, flowEntry } from "../entry.js";
import { createRunJob, launchContext, withRunLog, type LaunchContext } from "../launch.js";
import type { JobManifest } from "../manifest-types.js";
import type { ClusterRuntime } from "./cluster-run.js";
import { buildSchedulerJob } from "./scheduler-job.js";

/** What `execute()` needs of the environment. */
export interface ClusterLaunchSettings {
  /** Names the environment in messages. */
  ownerName: string;
  /** The custom scheduler spec, or undefined for the default. */
  schedulerSpec: JobManifest | undefined;
  /** Pull secrets of the default scheduler spec in a namespace. */
  pullSecrets: (namespace: string) => readonly string[];
  workStealing: boolean;
  sluiceCommand: readonly string[];
  /** Value of the created-by label. */
  createdBy: string;
  /** The environment's image (metadata.image, or the one it built). */
  image: unknown;
  /** Where the flow's module is in that image, when the environment knows better than the flow's storage. */
  module?: string;
  /** A fixed namespace (`default` for the kind that builds its own image). @default the run's */
  namespace?: string;
}

/** Cluster environments run flows with the distributed executor on their broker: an `executor` option is an error. */
export function noExecutor(owner: string, options: Record<string, unknown>): void {
  if (options.executor === undefined) return;
  throw new SluiceError(
    "INVALID_OPTION",
    `${owner}: option executor is ${showValue(options.executor)}: a worker cluster always runs its flows with the distributed executor on the cluster's broker; leave executor out (name an existing Redis with the broker option)`,
    { field: "executor", kind: "kubernetes-cluster" },
  );
}

/** Checks the broker option where the flow is registered (TLS files are read later, in the scheduler). */
function checkBroker(owner: string, broker: RedisSpec, allowInsecure: boolean): void {
  let probe: RedisSpec = broker;
  if (typeof broker === "object" && broker.tls) {
    const { caFile: _ca, certFile: _cert, keyFile: _key, ...rest } = broker.tls;
    probe = { ...broker, tls: rest };
  }
  try {
    compileRedis(probe, { allowInsecure, field: "broker" });
  } catch (error) {
    const e = error as SluiceError;
    throw new SluiceError("INVALID_OPTION", `${owner}: ${e.message}`, { field: e.field ?? "broker", value: e.value, kind: "kubernetes-cluster", cause: error });
  }
}

/** The validated ClusterRuntimeOptions: defaults filled in, except the broker and the command. */
export type ValidatedClusterRuntime = Omit<ClusterRuntime, "broker" | "sluiceCommand"> & { broker?: RedisSpec; sluiceCommand?: readonly string[] };

/** Checks the broker of validated options, then compiles the options the scheduler's `run()` needs. */
export function clusterRuntime(owner: string, o: ValidatedClusterRuntime): ClusterRuntime {
  if (o.broker !== undefined) checkBroker(owner, o.broker, o.allowInsecureBroker);
  return {
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

/** The scheduler Job of the run and where it goes (no API call). */
export function clusterJob(
  settings: ClusterLaunchSettings,
  flow: EnvironmentFlow,
  options: ExecuteOptions,
): { job: JobManifest; namespace: string; flowRunId: string; context: LaunchContext } {
  const config = options.config ?? defaultConfig();
  const distributed = { ...config, engine: { ...config.engine, executor: "distributed" } };
  const context = launchContext(
    settings.ownerName,
    flow,
    { ...options, config: distributed },
    {
      image: settings.image,
      ...(settings.module !== undefined ? { module: settings.module } : {}),
      ...(settings.namespace !== undefined ? { namespace: settings.namespace } : {}),
    },
  );
  // A server's run (stage "deploy" passes its flow id): the scheduler is stage "run" and reports to the server.
  const entry = flowEntry({
    module: context.module,
    flowName: flow.name,
    sluiceCommand: settings.sluiceCommand,
    parameters: options.parameters,
    reportsToServer: options.flowId !== undefined,
  });
  const job = buildSchedulerJob({
    spec: settings.schedulerSpec,
    image: context.image,
    flowRunId: context.flowRunId,
    identifier: context.identifier,
    env: context.env,
    command: entry.command,
    args: entry.args,
    imagePullSecrets: settings.pullSecrets(context.namespace),
    workStealing: settings.workStealing,
    createdBy: settings.createdBy,
    namespace: context.namespace,
  });
  return { job, namespace: context.namespace, flowRunId: context.flowRunId, context };
}

/** Creates the run's scheduler Job; an error is logged on the run, then thrown. */
export async function clusterExecute(settings: ClusterLaunchSettings, flow: EnvironmentFlow, options: ExecuteOptions): Promise<ExecuteResult> {
  return withRunLog(settings.ownerName, options, async () => {
    const { job, context } = clusterJob(settings, flow, options);
    return createRunJob(settings.ownerName, context, job, options);
  });
}
