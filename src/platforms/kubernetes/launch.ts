/**
 * What the Kubernetes environments share when they launch a run: the run's context (id, namespace,
 * image, module, variables) resolved from the execute options and the configuration, and the creation of
 * the Job with the outcome logged on the run (an API error is logged with the Kubernetes message and
 * reason, then thrown, so the caller fails the run with it).
 */
import { randomUUID } from "node:crypto";
import { defaultConfig } from "../../config/defaults.js";
import type { SluiceConfig } from "../../config/schema.js";
import { notifyObservers, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult } from "../../core/environment.js";
import { SluiceError, serializeError } from "../../core/errors.js";
import type { LogLevel } from "../../core/events.js";
import { createLogger } from "../../core/logger.js";
import { isStorage } from "../../core/storage.js";
import { storageImage } from "../../deployment/contract.js";
import { runContractEnv } from "../../deployment/contract.js";
import type { EnvVar, JobManifest } from "./manifest-types.js";
import { checkFlowRunId } from "./names.js";
import { checkSecretKeyRef, toEnvVars, type SecretKeyRef } from "./run-env.js";

/** Everything a Kubernetes launch of one flow run needs to know, resolved once. */
export interface LaunchContext {
  config: SluiceConfig;
  flowRunId: string;
  namespace: string;
  image: string;
  /** Where the flow's module is, in the image. */
  module: string;
  /** The run contract as container variables (the API key as a Secret reference when configured). */
  env: EnvVar[];
  /** A fresh UUID labelling what this launch creates. */
  identifier: string;
}

/** Where the flow's module is for the launched process: its storage's location, else the run's, else its defining module. */
function flowModule(flow: EnvironmentFlow, config: SluiceConfig): string | undefined {
  const storage = (flow as { storage?: unknown }).storage;
  if (isStorage(storage) && storage.contains(flow.name)) {
    try {
      return storage.locate(flow.name).module;
    } catch {
      // fall through to the other sources
    }
  }
  return config.context.flowFilePath ?? (flow as { module?: string }).module;
}

/** The configured Secret holding the API key, if any. */
export function apiKeySecretOf(config: SluiceConfig): SecretKeyRef | undefined {
  const name = config.kubernetes.apiKeySecretName;
  if (name === undefined) return undefined;
  return checkSecretKeyRef({ name, key: config.kubernetes.apiKeySecretKey }, "kubernetes.apiKeySecretName");
}

/** What an environment knows better than the flow's storage and the configuration. */
export interface LaunchPreferences {
  /** The environment's image (metadata.image, or one it built). */
  image?: unknown;
  /** Where the flow's module is in that image. @default from the flow's storage, else the run's flowFilePath, else the flow's module */
  module?: string;
  /** The namespace to create the Job in. @default the run's (config.context.namespace) */
  namespace?: string;
}

/**
 * Resolves the run's context. The image is the environment's choice when it has one; otherwise the
 * flow's storage image, then the run's configured image. No image is an error, before any call to
 * Kubernetes.
 */
export function launchContext(owner: string, flow: EnvironmentFlow, options: ExecuteOptions, preferences: LaunchPreferences = {}): LaunchContext {
  const config = options.config ?? defaultConfig();
  const flowRunId = checkFlowRunId(options.flowRunId ?? config.context.flowRunId ?? randomUUID());
  const preferred = typeof preferences.image === "string" && preferences.image !== "" ? preferences.image : undefined;
  const image = preferred ?? storageImage((flow as { storage?: unknown }).storage) ?? config.context.image;
  if (image === undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${owner}: flow "${flow.name}" has no image to run in: set metadata.image on the environment, give the flow a DockerStorage (its image is used once built), or set SLUICE__CONTEXT__IMAGE`,
      { field: "metadata.image", flowRunId, kind: "kubernetes" },
    );
  }
  const module = preferences.module ?? flowModule(flow, config);
  if (module === undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${owner}: the module of flow "${flow.name}" is unknown; give the flow a storage that holds it (e.g. DockerStorage)`,
      {
        field: "storage",
        flowRunId,
        kind: "kubernetes",
      },
    );
  }
  const ns = preferences.namespace ?? config.context.namespace;
  const contract = runContractEnv({ config, flowRunId, flowId: options.flowId, image, flowFilePath: module, namespace: ns });
  return { config, flowRunId, namespace: ns, image, module, env: toEnvVars(contract, apiKeySecretOf(config)), identifier: randomUUID() };
}

/** Writes a record on the run: to the run's observers (the server reporter, the CLI) and its logger. */
export function logOnRun(options: ExecuteOptions, flowRunId: string, level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info" });
  logger[level]({ flowRunId, ...fields }, message);
  notifyObservers(options.observers, { type: "log", record: { level, message, timestamp: new Date().toISOString(), flowRunId, fields } });
}

/** Runs `launch`; an error it throws is logged on the run (with its message: for API errors, the Kubernetes status message and reason), then re-thrown. */
export async function withRunLog<T>(owner: string, options: ExecuteOptions, launch: () => Promise<T>): Promise<T> {
  try {
    return await launch();
  } catch (error) {
    const flowRunId = options.flowRunId ?? options.config?.context.flowRunId ?? "(unknown)";
    const message = error instanceof Error ? error.message : String(error);
    logOnRun(options, flowRunId, "error", message.startsWith(`${owner}:`) ? message : `${owner}: ${message}`, { error: serializeError(error) });
    throw error;
  }
}

/** Creates the run's Job and logs the outcome on the run. */
export async function createRunJob(owner: string, context: LaunchContext, job: JobManifest, options: ExecuteOptions): Promise<ExecuteResult> {
  // The API client loads when a Job is created, not when Sluice is imported.
  const { KubernetesApi } = await import("./kubernetes-api.js");
  const api = await KubernetesApi.connect(context.config.kubernetes);
  const { job: created, created: isNew } = await api.createJob(context.namespace, job, context.flowRunId);
  const jobName = created.metadata?.name ?? job.metadata.name ?? "(generated)";
  const description = `${isNew ? "created" : "found existing"} Job ${jobName} in namespace ${context.namespace}`;
  logOnRun(options, context.flowRunId, "info", `${owner}: ${description}`, { job: jobName, namespace: context.namespace });
  return {
    kind: "launched",
    description,
    resources: { namespace: context.namespace, job: jobName, identifier: context.identifier, flowRunId: context.flowRunId, image: context.image },
  };
}
