/**
 * `run(flow)` of a worker cluster, in the scheduler (the process the scheduler Job runs):
 *
 * 1. find the scheduler Job (worker pods, broker, Secrets and Service point at it with ownerReferences,
 *    so Kubernetes' garbage collector removes them when the Job goes, even if this process crashed) and
 *    remove what an earlier attempt of this run left;
 * 2. get the broker ready: the user's Redis, or an ephemeral one for the run;
 * 3. start `minWorkers` worker pods and the scaler that keeps them between min and max by queue depth;
 * 4. run the flow with the distributed executor on the run's own queue prefix;
 * 5. whatever happened (success, failure, an error, a cancel): stop the scaler, delete the workers and
 *    wait (bounded) until they are gone, then delete the broker, its Service and Secret (cluster-teardown.ts).
 */
import { randomUUID } from "node:crypto";
import type { SluiceConfig } from "../../../config/schema.js";
import { notifyObservers, type EnvironmentFlow, type EnvironmentRunOptions } from "../../../core/environment.js";
import { serializeError } from "../../../core/errors.js";
import type { Executor, JsonObject } from "../../../core/executor.js";
import type { FlowRunResult } from "../../../core/flow-options.js";
import { createLogger } from "../../../core/logger.js";
import { makeState } from "../../../core/states.js";
import type { RedisSpec } from "../../../executors/distributed/index.js";
import { launchContext, logOnRun } from "../launch.js";
import type { EnvVar } from "../manifest-types.js";
import { IDENTIFIER_LABEL } from "../names.js";
import { API_KEY_VARIABLE } from "../run-env.js";
import type { EphemeralBrokerSettings } from "./broker.js";
import { connectUserBroker, startEphemeralBroker, type ReadyBroker } from "./broker-launch.js";
import { ClusterApi } from "./cluster-api.js";
import { ClusterExecutor } from "./cluster-executor.js";
import { clusterQueuePrefix, clusterSelector } from "./cluster-names.js";
import { removeCluster } from "./cluster-teardown.js";
import type { PodManifest } from "./pod-spec.js";
import { QueueLoadReader } from "./queue-load.js";
import { brokerEnv, buildWorkerPod, type OwnerReference } from "./worker-pod.js";
import { WorkerScaler, type ClusterLog } from "./worker-scaler.js";

export type { ClusterRuntimeOptions } from "./options.js";

/** The same options, compiled at construction (see clusterRuntime() in cluster-launch.ts). */
export interface ClusterRuntime {
  broker: RedisSpec | undefined;
  allowInsecureBroker: boolean;
  ephemeralBroker: EphemeralBrokerSettings;
  scaleIntervalMs: number;
  scaleDownDelayMs: number;
  workerStartTimeoutMs: number;
  maxWorkerFailures: number;
  sluiceCommand: readonly string[];
}

/** What `run()` needs of the environment. */
export interface ClusterRunSettings extends ClusterRuntime {
  /** Names the environment in messages. */
  ownerName: string;
  minWorkers: number;
  maxWorkers: number;
  /** Work stealing of the executor; undefined: the scheduler's configuration (a custom scheduler spec sets it). */
  workStealing: boolean | undefined;
  workerSpec: PodManifest | undefined;
  /** Pull secrets of the default worker pods and of the broker pod, in a namespace. */
  pullSecrets: (namespace: string) => readonly string[];
  schedulerLogs: boolean;
  logK8sErrors: boolean;
  /** The namespace, when the environment fixes it. @default the run's (config.context.namespace) */
  namespace?: string;
  /** The environment's image (metadata.image). */
  image: unknown;
}

/** Options of a cluster's `run()`: those of the base class, plus the configuration. */
export interface ClusterRunOptions extends EnvironmentRunOptions {
  /** The scheduler's configuration (Kubernetes connection, namespace, executor settings). @default loadConfig() */
  config?: SluiceConfig;
}

function clusterLog(settings: ClusterRunSettings, options: EnvironmentRunOptions, flowRunId: string): ClusterLog {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info" });
  const on = { ...options, logger };
  return {
    info: (message, fields = {}) =>
      settings.schedulerLogs ? logOnRun(on, flowRunId, "info", `cluster: ${message}`, fields) : logger.debug({ flowRunId, ...fields }, message),
    k8sError: (message, error) =>
      settings.logK8sErrors
        ? logOnRun(on, flowRunId, "error", `cluster: ${message}`, { error: serializeError(error) })
        : logger.warn({ flowRunId, err: error }, message),
    error: (message, error) => logOnRun(on, flowRunId, "error", `cluster: ${message}`, error === undefined ? {} : { error: serializeError(error) }),
  };
}

/** Tells the run's observers it failed before the flow started (as the base class does for onStart). */
function failedBeforeStart(options: EnvironmentRunOptions, flowRunId: string, flowName: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  notifyObservers(options.observers, { type: "flow-run-state", flowRunId, flowName, state: makeState("Failed", { message, error: serializeError(error) }) });
}

/** The run contract for workers, without a plain API key (workers report through the broker, not the API). */
const workerContract = (env: readonly EnvVar[]): EnvVar[] => env.filter((e) => !(e.name === API_KEY_VARIABLE && e.value !== undefined));

/**
 * Runs `flow` on a temporary worker cluster. `runFlow` is the environment's base `run()` (hooks, the flow
 * runner) called with the cluster's executor.
 */
export async function runOnCluster(
  settings: ClusterRunSettings,
  flow: EnvironmentFlow,
  options: ClusterRunOptions,
  runFlow: (executor: Executor, flowRunId: string) => Promise<FlowRunResult>,
): Promise<FlowRunResult> {
  const config = options.config ?? (await import("../../../config/index.js")).loadConfig();
  const flowRunId = options.flowRunId ?? config.context.flowRunId ?? randomUUID();
  const log = clusterLog(settings, options, flowRunId);
  let api: ClusterApi | undefined;
  let namespace = settings.namespace ?? config.context.namespace;
  let broker: ReadyBroker | undefined;
  let reader: QueueLoadReader | undefined;
  let scaler: WorkerScaler | undefined;
  let started = false;
  let owned = false;
  try {
    const context = launchContext(settings.ownerName, flow, { config, flowRunId }, { image: settings.image, namespace });
    namespace = context.namespace;
    api = await ClusterApi.connect(config.kubernetes);
    const job = await api.findSchedulerJob(namespace, flowRunId);
    const owner: OwnerReference | undefined =
      job?.metadata?.uid && job.metadata.name ? { apiVersion: "batch/v1", kind: "Job", name: job.metadata.name, uid: job.metadata.uid } : undefined;
    const identifier = job?.metadata?.labels?.[IDENTIFIER_LABEL] ?? context.identifier;
    owned = owner !== undefined;
    if (!owner)
      log.info(`no scheduler Job of run ${flowRunId} in namespace ${namespace}: the workers have no owner (they are still removed when the run ends)`);
    const leftovers = await api.deleteByLabel(namespace, clusterSelector(flowRunId));
    if (leftovers.pods.length + leftovers.services.length + leftovers.secrets.length > 0) {
      log.info(`removed what an earlier attempt of this run left: ${[...leftovers.pods, ...leftovers.services, ...leftovers.secrets].join(", ")}`);
    }

    const imagePullSecrets = settings.pullSecrets(namespace);
    const launch = { api, namespace, flowRunId, identifier, owner, imagePullSecrets, ownerName: settings.ownerName };
    broker =
      settings.broker !== undefined
        ? await connectUserBroker(launch, settings.broker, settings.allowInsecureBroker)
        : await startEphemeralBroker(launch, settings.ephemeralBroker);
    log.info(`using ${broker.description}`);

    const queuePrefix = clusterQueuePrefix(flowRunId);
    const concurrency = config.executor.workerConcurrency;
    const workerEnv = [...workerContract(context.env), ...brokerEnv(broker.access, queuePrefix, concurrency)];
    reader = new QueueLoadReader(broker.conn, queuePrefix, flowRunId);
    scaler = new WorkerScaler({
      api,
      namespace,
      flowRunId,
      settings: { minWorkers: settings.minWorkers, maxWorkers: settings.maxWorkers, tasksPerWorker: concurrency, scaleDownDelayMs: settings.scaleDownDelayMs },
      intervalMs: settings.scaleIntervalMs,
      maxWorkerFailures: settings.maxWorkerFailures,
      workerStartTimeoutMs: settings.workerStartTimeoutMs,
      readLoad: () => reader!.read(),
      buildPod: () =>
        buildWorkerPod({
          spec: settings.workerSpec,
          image: context.image,
          flowRunId,
          identifier,
          namespace,
          env: workerEnv,
          sluiceCommand: settings.sluiceCommand,
          imagePullSecrets,
          owner,
        }),
      log,
    });
    await scaler.start();
    log.info(`started ${settings.minWorkers} worker pod(s); scaling between ${settings.minWorkers} and ${settings.maxWorkers}`);

    const { createDistributedExecutor } = await import("../../../executors/distributed/index.js");
    const distributed = createDistributedExecutor(
      {
        redis: broker.redis,
        queuePrefix,
        workStealing: settings.workStealing ?? config.executor.workStealing,
        allowInsecure: settings.allowInsecureBroker,
      } as unknown as JsonObject,
      config,
    );
    started = true;
    return await runFlow(new ClusterExecutor(distributed, scaler.failure), flowRunId);
  } catch (error) {
    if (!started) {
      log.error(error instanceof Error ? error.message : String(error), error);
      failedBeforeStart(options, flowRunId, flow.name, error);
    }
    throw error;
  } finally {
    await scaler?.stop();
    await reader?.close();
    broker?.conn.disconnect();
    if (api) {
      try {
        const removed = await removeCluster(api, namespace, flowRunId, {
          onWorkersLate: (left, waitedMs) => log.info(`worker pod(s) ${left.join(", ")} still there after ${waitedMs} ms; removing the broker anyway`),
        });
        log.info(`removed ${removed.pods.length} pod(s), ${removed.services.length} Service(s) and ${removed.secrets.length} Secret(s) of the cluster`, {
          pods: removed.pods,
          peakWorkers: scaler?.peak ?? 0,
        });
      } catch (error) {
        const fallback = owned ? " (they go with the scheduler Job when it is deleted)" : "";
        log.k8sError(`removing the cluster's pods failed${fallback}: ${(error as Error).message}`, error);
      }
    }
  }
}
