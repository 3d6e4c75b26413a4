/**
 * FargateTaskEnvironment: runs a flow run as one Amazon ECS task (Fargate by default, or EC2).
 *
 * - Options are split and validated at construction (see options.ts): an unknown key or a bad value fails
 *   before any call to AWS. Credentials are held redacted and never serialized.
 * - `setup(flow)`: the task definition is described and reused when it matches, registered when missing,
 *   and a differing one named by `family` fails with a readable diff (see definition-registrar.ts).
 * - `execute(flow)`: RunTask with the run's own variables as overrides (in the option `cluster`, else the
 *   configuration's `aws.cluster`, else AWS's default cluster), then the task is followed to
 *   STOPPED: a failure (image pull, OOM, failed to start, essential container exited, capacity, stopped,
 *   start deadline) is logged on the run with the tail of the task's CloudWatch log and thrown; aborting
 *   `signal` stops the task.
 * - Inside the task, Sluice's entry loads the flow again and calls `run(flow)` (the base class).
 */
import { randomUUID } from "node:crypto";
import { defaultConfig } from "../../config/defaults.js";
import type { SluiceConfig } from "../../config/schema.js";
import { Environment, type EnvironmentFlow, type ExecuteOptions, type ExecuteResult, type SerializedScalar } from "../../core/environment.js";
import { SluiceError, serializeError } from "../../core/errors.js";
import type { LogLevel } from "../../core/events.js";
import { createLogger } from "../../core/logger.js";
import { runContractEnv } from "../../deployment/contract.js";
import { resolveAwsAccess, type AwsCredentialInput, type ResolvedAwsAccess } from "./credentials.js";
import { DefinitionRegistrar, type RegisteredDefinition } from "./definition-registrar.js";
import { createEcsApi, type EcsApi } from "./ecs-client.js";
import { launchFlowTask, planTaskDefinition, splitRunEnv } from "./fargate-launch.js";
import { splitFargateOptions, type SplitOptions } from "./options.js";
import { serializeFargateOptions } from "./serialized-options.js";
import type { FargateTaskEnvironmentOptions } from "./environment-options.js";
import type { TaskDefinitionSpec } from "./task-definition.js";

export type { FargateTaskEnvironmentOptions };

/** Options of `execute()` beyond the common ones. */
export interface FargateExecuteOptions extends ExecuteOptions {
  /** Aborting it stops the task (a cancelled run). @default undefined */
  signal?: AbortSignal;
}

const OWN_KEYS = ["sluiceCommand", "pollIntervalMs", "startDeadlineMs", "endpoint"] as const;

/** The AWS section of the configuration (it holds AWS_ACCESS_KEY_ID etc. when SLUICE__AWS__* names none). */
function awsConfigOf(config: SluiceConfig | undefined): AwsCredentialInput & { endpoint?: string; cluster?: string } {
  return config?.aws ?? {};
}

export class FargateTaskEnvironment extends Environment {
  static readonly serializedType = "FargateTaskEnvironment";

  readonly launchType: "FARGATE" | "EC2";
  readonly sluiceCommand: readonly string[];
  readonly pollIntervalMs: number;
  readonly startDeadlineMs: number;
  readonly #options: SplitOptions;
  readonly #endpoint: string | undefined;
  /** pollIntervalMs and startDeadlineMs as given (serialized only when given). */
  readonly #givenTimings: { pollIntervalMs?: number; startDeadlineMs?: number } = {};
  #api: Promise<EcsApi> | undefined;
  #registrar: DefinitionRegistrar | undefined;
  /** Credentials and region given as options (redacted), resolved at construction. */
  readonly #ownAccess: ResolvedAwsAccess;

  constructor(options: FargateTaskEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, executor, ...rest } = options;
    super({ labels, onStart, onExit, metadata, executor });
    const own = Object.fromEntries(Object.entries(rest).filter(([k]) => (OWN_KEYS as readonly string[]).includes(k)));
    const aws = Object.fromEntries(Object.entries(rest).filter(([k]) => !(OWN_KEYS as readonly string[]).includes(k)));
    const split = splitFargateOptions(aws);
    const { awsAccessKeyId, awsSecretAccessKey, awsSessionToken, ...environment } = split.environment;
    this.#ownAccess = resolveAwsAccess({ awsAccessKeyId, awsSecretAccessKey, awsSessionToken, regionName: environment.regionName });
    // The plain credentials are dropped here: only the redacted holder keeps them.
    this.#options = { ...split, environment };
    this.launchType = this.#options.environment.launchType;
    const command = own.sluiceCommand ?? ["sluice"];
    if (!Array.isArray(command) || command.length === 0 || !command.every((p) => typeof p === "string" && p !== "")) {
      throw new SluiceError("INVALID_OPTION", 'FargateTaskEnvironment: option sluiceCommand must be a non-empty list of strings, e.g. ["sluice"]', {
        field: "sluiceCommand",
        value: command,
      });
    }
    this.sluiceCommand = command as string[];
    for (const [key, fallback] of [
      ["pollIntervalMs", 5_000],
      ["startDeadlineMs", 600_000],
    ] as const) {
      const value = own[key] ?? fallback;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
        throw new SluiceError("INVALID_OPTION", `FargateTaskEnvironment: option ${key} must be a positive whole number of milliseconds`, { field: key, value });
      }
    }
    this.pollIntervalMs = (own.pollIntervalMs as number | undefined) ?? 5_000;
    this.startDeadlineMs = (own.startDeadlineMs as number | undefined) ?? 600_000;
    if (own.pollIntervalMs !== undefined) this.#givenTimings.pollIntervalMs = this.pollIntervalMs;
    if (own.startDeadlineMs !== undefined) this.#givenTimings.startDeadlineMs = this.startDeadlineMs;
    if (own.endpoint !== undefined && typeof own.endpoint !== "string")
      throw new SluiceError("INVALID_OPTION", "FargateTaskEnvironment: option endpoint must be a URL string", { field: "endpoint" });
    this.#endpoint = own.endpoint as string | undefined;
  }

  /**
   * launchType, regionName and Sluice's own poll interval and start deadline; the AWS API options given are
   * only named (awsOptionsInImage), never their values, and credentials never. See serialized-options.ts.
   */
  protected override serializedFields(): Record<string, SerializedScalar> {
    return serializeFargateOptions(this.#options, this.#givenTimings);
  }

  #client(config: SluiceConfig | undefined): Promise<EcsApi> {
    if (!this.#api) {
      const fromConfig = awsConfigOf(config);
      const region = this.#ownAccess.region ?? fromConfig.regionName;
      const access =
        this.#ownAccess.source === "options"
          ? { ...this.#ownAccess, region }
          : resolveAwsAccess({}, { ...fromConfig, ...(region ? { regionName: region } : {}) });
      this.#api = createEcsApi({ region: access.region, credentials: access.credentials, endpoint: this.#endpoint ?? fromConfig.endpoint });
      this.#api.catch(() => (this.#api = undefined));
    }
    return this.#api;
  }

  /** The definition this flow would register (no AWS call), for inspection and dry runs. */
  buildTaskDefinition(flow: EnvironmentFlow, options: ExecuteOptions = {}): TaskDefinitionSpec & { family: string } {
    const context = this.#context(flow, options);
    return planTaskDefinition({
      options: this.#options,
      flowName: flow.name,
      image: context.image,
      command: context.command,
      sharedEnv: splitRunEnv(context.env).shared,
    });
  }

  #context(flow: EnvironmentFlow, options: ExecuteOptions) {
    const config = options.config ?? defaultConfig();
    const flowRunId = options.flowRunId ?? config.context.flowRunId ?? randomUUID();
    const storageImage = (flow as { storage?: { image?: unknown } }).storage?.image;
    const image = [this.metadata.image, storageImage, config.context.image].find((i): i is string => typeof i === "string" && i !== "");
    if (image === undefined) {
      throw new SluiceError(
        "INVALID_OPTION",
        `FargateTaskEnvironment: flow "${flow.name}" has no image to run in: set metadata.image, give the flow a DockerStorage, or set SLUICE__CONTEXT__IMAGE`,
        { field: "metadata.image", flowRunId, kind: "fargate-task" },
      );
    }
    const env = runContractEnv({ config, flowRunId, flowId: options.flowId, image });
    const [program, ...rest] = this.sluiceCommand;
    return { config, flowRunId, image, env, command: [program!, ...rest, "execute", "flow-run", "--stage", "run"] };
  }

  /** Describes the definition; reuses it when it matches, registers it when missing, fails with the diff when it differs. */
  override async setup(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<void> {
    await this.#ensure(flow, options);
  }

  async #ensure(flow: EnvironmentFlow, options: ExecuteOptions): Promise<RegisteredDefinition> {
    const api = await this.#client(options.config);
    this.#registrar ??= new DefinitionRegistrar(api);
    return this.#registrar.ensure(this.buildTaskDefinition(flow, options) as Record<string, unknown>);
  }

  /** RunTask for this run, then follows the task to STOPPED; a failure is logged on the run and thrown. */
  async execute(flow: EnvironmentFlow, options: FargateExecuteOptions = {}): Promise<ExecuteResult> {
    const context = this.#context(flow, options);
    const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => logOnRun(options, context.flowRunId, level, message, fields);
    try {
      const api = await this.#client(options.config);
      this.#registrar ??= new DefinitionRegistrar(api);
      const { shared, perRun } = splitRunEnv(context.env);
      const definition = planTaskDefinition({ options: this.#options, flowName: flow.name, image: context.image, command: context.command, sharedEnv: shared });
      // Without its own cluster the task goes to the configured one (the ECS agent's, in its stage "deploy"), else AWS's default.
      const cluster = this.#options.runTask.cluster ?? awsConfigOf(context.config).cluster;
      const outcome = await launchFlowTask({
        api,
        registrar: this.#registrar,
        options: cluster === undefined ? this.#options : { ...this.#options, runTask: { ...this.#options.runTask, cluster } },
        definition,
        flowRunId: context.flowRunId,
        perRunEnv: perRun,
        watch: {
          pollIntervalMs: this.pollIntervalMs,
          startDeadlineMs: this.startDeadlineMs,
          ...(options.signal ? { signal: options.signal } : {}),
          onStatus: (status) => log("debug", `FargateTaskEnvironment: ECS task ${status}`),
        },
        onStarted: (taskArn, registered) =>
          log("info", `FargateTaskEnvironment: started ECS task ${taskArn} of ${registered.arn}${registered.registered ? " (registered)" : ""}`, {
            taskArn,
            taskDefinition: registered.arn,
          }),
      });
      if (outcome.failure) {
        for (const tail of outcome.stage === "watched" ? outcome.logTail : []) {
          log("error", `FargateTaskEnvironment: last ${tail.lines.length} lines of ${tail.group} ${tail.stream}:\n${tail.lines.join("\n")}`, {
            container: tail.container,
          });
        }
        throw new SluiceError("DEPLOY_FAILED", `FargateTaskEnvironment: ${outcome.failure.reason}: ${outcome.failure.message}. ${outcome.failure.hint}`, {
          flowRunId: context.flowRunId,
          kind: "fargate-task",
          field: outcome.failure.reason,
        });
      }
      const description = `ECS task ${outcome.taskArn} of ${outcome.registered.arn} ran to its end`;
      log("info", `FargateTaskEnvironment: ${description}`);
      return {
        kind: "launched",
        description,
        resources: { taskArn: outcome.taskArn!, taskDefinition: outcome.registered.arn, flowRunId: context.flowRunId, image: context.image },
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log("error", message.startsWith("FargateTaskEnvironment:") ? message : `FargateTaskEnvironment: ${message}`, { error: serializeError(error) });
      throw error;
    }
  }
}

/** Writes a record on the run: to its observers (the server reporter, the CLI) and its logger. */
function logOnRun(options: ExecuteOptions, flowRunId: string, level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info" });
  logger[level]({ flowRunId, ...fields }, message);
  for (const observer of options.observers ?? []) {
    try {
      observer({ type: "log", record: { level, message, timestamp: new Date().toISOString(), flowRunId, fields } });
    } catch {
      // an observer must not change the launch
    }
  }
}
