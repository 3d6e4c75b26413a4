/**
 * The run contract: the environment variables every deployed flow run gets, whatever launches
 * it (an agent, DockerEnvironment, a Kubernetes Job, an ECS task). A pure function, so every launcher
 * computes the same variables and tests check them with plain objects.
 */
import type { SluiceConfig } from "../config/schema.js";
import { SluiceError, showValue } from "../core/errors.js";

/** Every variable of the run contract, in the spec's order. */
export const RUN_CONTRACT_VARIABLES = [
  "SLUICE__API__URL",
  "SLUICE__API__KEY",
  "SLUICE__CONTEXT__FLOW_RUN_ID",
  "SLUICE__CONTEXT__FLOW_ID",
  "SLUICE__CONTEXT__NAMESPACE",
  "SLUICE__CONTEXT__IMAGE",
  "SLUICE__CONTEXT__FLOW_FILE_PATH",
  "SLUICE__API__USE_LOCAL_SECRETS",
  "SLUICE__ENGINE__FLOW_RUNNER",
  "SLUICE__ENGINE__TASK_RUNNER",
  "SLUICE__ENGINE__EXECUTOR",
  "SLUICE__LOGGING__LEVEL",
  "SLUICE__LOGGING__SEND_TO_API",
  "SLUICE__LOGGING__EXTRA_LOGGERS",
] as const;

export type RunContractVariable = (typeof RUN_CONTRACT_VARIABLES)[number];

/** The parts of the configuration the contract reads (a SluiceConfig has them all). */
export type RunContractConfig = Pick<SluiceConfig, "api" | "context" | "engine" | "logging">;

export interface RunContractInput {
  /** The launcher's configuration: API URL and key, namespace, engine and logging settings. */
  config: RunContractConfig;
  /** The flow run the launched process executes. Required. */
  flowRunId: string;
  /** The registered flow's id. @default config.context.flowId (left out when neither is set) */
  flowId?: string;
  /** The image the run is launched from. @default config.context.image (left out when neither is set) */
  image?: string;
  /** Where the flow's module is, in the image or on disk. @default config.context.flowFilePath (left out when neither is set) */
  flowFilePath?: string;
  /** Kubernetes namespace of the run. @default config.context.namespace */
  namespace?: string;
  /** API key of the launched run. Never logged. @default config.api.key (left out when neither is set) */
  apiKey?: string;
  /** URL of the server the run reports to. @default config.api.url */
  apiUrl?: string;
  /** Executor kind of the launched run. @default config.engine.executor */
  executor?: string;
}

/**
 * The launched run's environment: the user's variables, plus every run-contract variable the user did
 * not set (a value the user already set wins). Optional values that are unknown (no API key, no flow id)
 * are left out rather than set empty.
 */
export function runContractEnv(input: RunContractInput, userEnv: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
  if (typeof input.flowRunId !== "string" || input.flowRunId.trim() === "") {
    throw new SluiceError("INVALID_INPUT", `run contract: flowRunId is ${showValue(input.flowRunId)}; every launched run needs the id of its flow run`, {
      field: "flowRunId",
      value: input.flowRunId,
    });
  }
  const { config } = input;
  const contract: Partial<Record<RunContractVariable, string | undefined>> = {
    SLUICE__API__URL: input.apiUrl ?? config.api.url,
    SLUICE__API__KEY: input.apiKey ?? config.api.key,
    SLUICE__CONTEXT__FLOW_RUN_ID: input.flowRunId,
    SLUICE__CONTEXT__FLOW_ID: input.flowId ?? config.context.flowId,
    SLUICE__CONTEXT__NAMESPACE: input.namespace ?? config.context.namespace,
    SLUICE__CONTEXT__IMAGE: input.image ?? config.context.image,
    SLUICE__CONTEXT__FLOW_FILE_PATH: input.flowFilePath ?? config.context.flowFilePath,
    SLUICE__API__USE_LOCAL_SECRETS: "false",
    SLUICE__ENGINE__FLOW_RUNNER: config.engine.flowRunner,
    SLUICE__ENGINE__TASK_RUNNER: config.engine.taskRunner,
    SLUICE__ENGINE__EXECUTOR: input.executor ?? config.engine.executor,
    SLUICE__LOGGING__LEVEL: config.logging.level,
    SLUICE__LOGGING__SEND_TO_API: String(config.logging.sendToApi),
    SLUICE__LOGGING__EXTRA_LOGGERS: config.logging.extraLoggers.join(","),
  };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(userEnv)) if (value !== undefined) out[name] = value;
  for (const name of RUN_CONTRACT_VARIABLES) {
    const value = contract[name];
    if (value !== undefined && out[name] === undefined) out[name] = value;
  }
  return out;
}

/** `runContractEnv` as the `NAME=value` list the Docker Engine API and most launchers take. */
export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

/** Settings of the launcher that the runs it launches inherit (reporting and logging pace), as SLUICE__ variables. */
export function inheritedRunSettings(config: Pick<SluiceConfig, "reporter" | "logging">): Record<string, string> {
  return {
    SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: String(config.reporter.heartbeatIntervalMs),
    SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: String(config.reporter.cancelCheckIntervalMs),
    SLUICE__REPORTER__FLUSH_TIMEOUT_MS: String(config.reporter.flushTimeoutMs),
    SLUICE__LOGGING__BATCH_SIZE: String(config.logging.batchSize),
    SLUICE__LOGGING__BATCH_INTERVAL_MS: String(config.logging.batchIntervalMs),
  };
}
