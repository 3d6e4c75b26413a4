/**
 * CloudClusterEnvironment: runs each flow run on a temporary, secured cluster of ECS tasks (Fargate or
 * EC2) made for that run and torn down when it ends.
 *
 * - Options are validated at construction (see options.ts); `onExecute(parameters, providerOptions)`
 *   may resize the cluster for a run: its errors are logged on the run and the run goes on with the
 *   options as they were; what it changes is validated again, and an invalid change fails the run.
 * - `execute(flow)`: the image from `metadata.image`, else the flow's storage, else the configured
 *   image; then the broker and the workers as ECS tasks, the flow run here with the distributed
 *   executor, and every task of the run stopped at the end (see cluster-run.ts).
 * - Secure by default: the run's broker takes TLS connections only, with a password made for the run
 *   and a certificate from `security` or made for the run. An existing broker can be given instead; a
 *   plain redis:// to another machine without a password is refused unless `allowInsecureBroker`.
 *
 * `serialize()` carries the provider and the cluster's size only: never the AWS options, the broker (its
 * URL may hold a password), the TLS files, credentials or the callbacks.
 */
import { randomUUID } from "node:crypto";
import { defaultConfig } from "../../../config/defaults.js";
import type { SluiceConfig } from "../../../config/schema.js";
import { Environment, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult, type SerializedScalar } from "../../../core/environment.js";
import { SluiceError, serializeError, showValue } from "../../../core/errors.js";
import type { LogLevel } from "../../../core/events.js";
import { createLogger } from "../../../core/logger.js";
import { runContractEnv } from "../../../deployment/contract.js";
import { compileRedis } from "../../../executors/distributed/index.js";
import { resolveAwsAccess, type AwsCredentialInput } from "../credentials.js";
import { createEcsApi } from "../ecs-client.js";
import { splitRunEnv } from "../fargate-launch.js";
import { BROKER_CERT_VARIABLE, BROKER_KEY_VARIABLE, BROKER_PASSWORD_VARIABLE } from "./cluster-tasks.js";
import type { ClusterLog } from "./cluster-run.js";
import { secretVariables } from "./secret-variables.js";
import {
  compileClusterOptions,
  OWNER,
  providerOptionsOf,
  type CloudClusterEnvironmentOptions,
  type CompiledClusterOptions,
  type ProviderOptions,
  type WorkerSizing,
} from "./options.js";

export type { CloudClusterEnvironmentOptions, ProviderOptions };

const COMMON = ["labels", "onStart", "onExit", "metadata"] as const;

/** Options of `execute()` beyond the common ones. */
export interface CloudClusterExecuteOptions extends ExecuteOptions {
  /** Called once the broker answers and the first workers are started (tests, metrics). @default undefined */
  onClusterReady?: (cluster: { broker: string; workers: () => number; sizes: readonly number[] }) => void;
}

/** The AWS section of the configuration, when it has one. */
function awsConfigOf(config: SluiceConfig): AwsCredentialInput & { endpoint?: string } {
  return (config as { aws?: AwsCredentialInput & { endpoint?: string } }).aws ?? {};
}

export class CloudClusterEnvironment extends Environment {
  static readonly serializedType = "CloudClusterEnvironment";

  readonly provider: "fargate" | "ecs";
  readonly sizing: WorkerSizing;
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #compiled: CompiledClusterOptions;
  readonly #onExecute: CloudClusterEnvironmentOptions["onExecute"];

  constructor(options: CloudClusterEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, executor, onExecute, ...own } = options as CloudClusterEnvironmentOptions & { executor?: unknown };
    if (executor !== undefined) {
      throw new SluiceError(
        "INVALID_OPTION",
        `${OWNER}: option executor is ${showValue(executor)}: the cluster always runs its flows with the distributed executor on its broker; give its settings as executorOptions`,
        { field: "executor", kind: "cloud-cluster" },
      );
    }
    if (onExecute !== undefined && typeof onExecute !== "function") {
      throw new SluiceError("INVALID_OPTION", `${OWNER}: option onExecute is ${showValue(onExecute)}: give a function (parameters, providerOptions) => void`, {
        field: "onExecute",
      });
    }
    super({ labels, onStart, onExit, metadata });
    for (const key of COMMON) delete (own as Record<string, unknown>)[key];
    this.#raw = own;
    this.#compiled = compileClusterOptions(own);
    checkSecrets(this.#compiled);
    if (this.#compiled.broker !== undefined) {
      checkBroker(this.#compiled.broker, this.#compiled.allowInsecureBroker, secretVariables(this.#compiled).has("SLUICE__EXECUTOR__REDIS_PASSWORD"));
    }
    this.#onExecute = onExecute;
    this.provider = this.#compiled.provider;
    this.sizing = this.#compiled.sizing;
  }

  /** The TLS files: DockerStorage copies them into the flow's image at the same paths. */
  override get imageFiles(): readonly string[] {
    const s = this.#compiled.security;
    return s ? [s.certFile, s.keyFile, ...(s.caFile ? [s.caFile] : [])] : [];
  }

  protected override serializedFields(): Record<string, SerializedScalar> {
    const s = this.sizing;
    return s.kind === "fixed"
      ? { provider: this.provider, workers: s.workers, adaptiveMinWorkers: null, adaptiveMaxWorkers: null }
      : { provider: this.provider, workers: null, adaptiveMinWorkers: s.min, adaptiveMaxWorkers: s.max };
  }

  /** The options of one run: `onExecute` applied to a copy and validated again (its errors logged, not fatal). */
  async optionsFor(parameters: Record<string, unknown>, log: ClusterLog = () => undefined): Promise<CompiledClusterOptions> {
    if (!this.#onExecute) return this.#compiled;
    const provider = providerOptionsOf(this.#raw);
    try {
      await this.#onExecute(structuredClone(parameters), provider);
    } catch (error) {
      log("error", `${OWNER}: onExecute failed, the cluster keeps its options: ${error instanceof Error ? error.message : String(error)}`, {
        error: serializeError(error),
      });
      return this.#compiled;
    }
    const changed = Object.keys(provider).filter((k) => JSON.stringify(provider[k]) !== JSON.stringify(this.#raw[k]));
    if (changed.length > 0) log("info", `${OWNER}: onExecute changed ${changed.join(", ")}`);
    try {
      return compileClusterOptions(provider);
    } catch (error) {
      if (error instanceof SluiceError) {
        throw new SluiceError("INVALID_OPTION", `${error.message} (as changed by onExecute)`, { field: error.field, value: error.value, cause: error });
      }
      throw error;
    }
  }

  #image(flow: EnvironmentFlow, config: SluiceConfig, flowRunId: string): string {
    const storageImage = (flow as { storage?: { image?: unknown } }).storage?.image;
    const image = [this.metadata.image, storageImage, config.context.image].find((i): i is string => typeof i === "string" && i !== "");
    if (image === undefined) {
      throw new SluiceError(
        "INVALID_OPTION",
        `${OWNER}: flow "${flow.name}" has no image for its cluster: set metadata.image, give the flow a DockerStorage, or set SLUICE__CONTEXT__IMAGE`,
        { field: "metadata.image", flowRunId, kind: "cloud-cluster" },
      );
    }
    return image;
  }

  /** Starts the run's cluster, runs the flow on it here, and stops every task of the run whatever happens. */
  async execute(flow: EnvironmentFlow, options: CloudClusterExecuteOptions = {}): Promise<ExecuteResult> {
    const { onClusterReady, config: given, ...runOptions } = options;
    const config = given ?? defaultConfig();
    const flowRunId = options.flowRunId ?? config.context.flowRunId ?? randomUUID();
    const log: ClusterLog = (level, message, fields = {}) => logOnRun(options, flowRunId, level, message, fields);
    try {
      const compiled = await this.optionsFor(options.parameters ?? {}, log);
      const image = this.#image(flow, config, flowRunId);
      const fromConfig = awsConfigOf(config);
      const own = resolveAwsAccess({
        awsAccessKeyId: compiled.aws.environment.awsAccessKeyId,
        awsSecretAccessKey: compiled.aws.environment.awsSecretAccessKey,
        awsSessionToken: compiled.aws.environment.awsSessionToken,
        regionName: compiled.aws.environment.regionName,
      });
      const region = own.region ?? fromConfig.regionName;
      const access = own.source === "options" ? { ...own, region } : resolveAwsAccess({}, { ...fromConfig, ...(region ? { regionName: region } : {}) });
      const api = await createEcsApi({ region: access.region, credentials: access.credentials, endpoint: compiled.endpoint ?? fromConfig.endpoint });
      const { runOnCloudCluster } = await import("./cluster-run.js");
      const contract = runContractEnv({ config, flowRunId, flowId: options.flowId, image });
      try {
        const result = await runOnCloudCluster({
          api,
          options: compiled,
          flow,
          flowRunId,
          image,
          config,
          sharedEnv: splitRunEnv(contract).shared,
          log,
          runFlow: (executor) => this.run(flow, { ...runOptions, flowRunId, executor }),
          onReady: ({ broker, pool }) => onClusterReady?.({ broker, workers: () => pool.size, sizes: pool.sizes }),
        });
        return { kind: "finished", result };
      } finally {
        api.close();
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log("error", message.startsWith(`${OWNER}:`) ? message : `${OWNER}: ${message}`, { error: serializeError(error) });
      throw error;
    }
  }
}

/** Variables made for each run, which an ECS secret (fixed when the definition is registered) cannot hold. */
const PER_RUN_SECRETS = ["SLUICE__EXECUTOR__REDIS_PASSWORD", BROKER_PASSWORD_VARIABLE, BROKER_KEY_VARIABLE, BROKER_CERT_VARIABLE];

/** Refuses ECS secrets for what the run's own broker makes per run (its password, key and certificate). */
function checkSecrets(compiled: CompiledClusterOptions): void {
  if (compiled.broker !== undefined) return;
  const clash = PER_RUN_SECRETS.filter((name) => secretVariables(compiled).has(name));
  if (clash.length > 0) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: option containerDefinitions.0.secrets names ${clash.join(", ")}, which the run's own broker makes for each run (a secret cannot hold them); leave them out, or give an existing broker whose password the secret holds`,
      { field: "containerDefinitions.0.secrets", kind: "cloud-cluster" },
    );
  }
}

/**
 * Refuses an unusable broker where the flow is registered; its TLS files are read later, where the run
 * starts. A password the workers take from an ECS secret counts as given.
 */
function checkBroker(broker: NonNullable<CompiledClusterOptions["broker"]>, allowInsecure: boolean, passwordFromSecret: boolean): void {
  const spec = typeof broker === "object" && broker.tls ? { ...broker, tls: { servername: broker.tls.servername ?? "probe" } } : broker;
  const probe = passwordFromSecret ? { ...(typeof spec === "string" ? { url: spec } : spec), password: "(from the secret)" } : spec;
  try {
    compileRedis(probe, { allowInsecure, field: "broker" });
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    throw new SluiceError("INVALID_OPTION", `${OWNER}: option ${error.message}`, {
      field: error.field,
      value: error.value,
      kind: "cloud-cluster",
      cause: error,
    });
  }
}

/** Writes a record on the run: to its observers (the server reporter, the CLI) and its logger. */
function logOnRun(options: ExecuteOptions, flowRunId: string, level: LogLevel, message: string, fields: Record<string, unknown>): void {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info" });
  logger[level]({ flowRunId, ...fields }, message);
  if (level === "debug") return;
  for (const observer of options.observers ?? []) {
    try {
      observer({ type: "log", record: { level, message, timestamp: new Date().toISOString(), flowRunId, fields } });
    } catch {
      // an observer must not change the run
    }
  }
}
