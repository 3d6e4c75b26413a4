/**
 * One flow run on a temporary ECS cluster, in the process that calls `execute()` (the scheduler):
 *
 * 1. the broker: the user's Redis, or the run's own as an ECS task (TLS only, a password made for the
 *    run, certificate from `security` or made for the run), reached at its task's private address;
 * 2. the workers: `sluice worker` tasks of the flow's image, fixed or adaptive (see worker-pool.ts);
 * 3. the flow, run here with the distributed executor on the run's own queue prefix; once the pool
 *    cannot keep workers alive, waiting task attempts fail with its reason instead of waiting forever;
 * 4. whatever happened (success, failure, cancel, an error): every task of the run is stopped, the ones
 *    this process started and any other carrying the run's tag. Task definitions are kept (they are
 *    shared by runs); nothing else is deleted.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import type { SluiceConfig } from "../../../config/schema.js";
import type { EnvironmentFlow } from "../../../core/environment.js";
import { SluiceError, serializeError } from "../../../core/errors.js";
import type { Executor, ExecutorSession, FlowLocator, JsonObject, TaskAttemptOutcome } from "../../../core/executor.js";
import type { FlowRunResult } from "../../../core/flow-options.js";
import type { RedisConnectionOptions, RedisSpec } from "../../../executors/distributed/index.js";
import { DefinitionRegistrar } from "../definition-registrar.js";
import type { EcsApi, EcsTask } from "../ecs-client.js";
import { stoppedTaskFailure } from "../failures.js";
import { startTask } from "../task-watcher.js";
import {
  BROKER_CA_VARIABLE,
  BROKER_CERT_VARIABLE,
  BROKER_KEY_VARIABLE,
  BROKER_PASSWORD_VARIABLE,
  WORKER_ID_VARIABLE,
  brokerScript,
  clusterRunTask,
  clusterTaskDefinition,
  taskAddress,
  workerScript,
  workerSharedEnv,
  type ClusterRole,
} from "./cluster-tasks.js";
import { BROKER_SERVER_NAME, OWNER, type CompiledClusterOptions } from "./options.js";
import { checkMaterial, selfSignedMaterial, type TlsMaterial } from "./tls-material.js";
import { stopRunTasks } from "./run-tasks.js";
import { secretVariables } from "./secret-variables.js";
import { WorkerPool } from "./worker-pool.js";

/** The variable the workers read the broker's password from. */
const PASSWORD_VARIABLE = "SLUICE__EXECUTOR__REDIS_PASSWORD";

export type ClusterLog = (level: "debug" | "info" | "warn" | "error", message: string, fields?: Record<string, unknown>) => void;

export interface ClusterRunInput {
  api: EcsApi;
  options: CompiledClusterOptions;
  flow: EnvironmentFlow;
  flowRunId: string;
  image: string;
  config: SluiceConfig;
  /** Run-contract variables shared by every run of the flow (no API key, run id or image). */
  sharedEnv: Readonly<Record<string, string>>;
  log: ClusterLog;
  /** Runs the flow here with the cluster's executor. */
  runFlow: (executor: Executor) => Promise<FlowRunResult>;
  /** Called once the cluster is up (tests, metrics). @default undefined */
  onReady?: (cluster: { broker: string; pool: WorkerPool }) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The queue prefix of one run's cluster: its own, so nothing else shares its keys. */
export const clusterQueuePrefix = (flowRunId: string): string => `sluice-cluster-${flowRunId}`;

/** The broker password of a run (32 URL-safe characters). */
const newPassword = (): string => randomBytes(24).toString("base64url");

async function readMaterial(security: NonNullable<CompiledClusterOptions["security"]>): Promise<TlsMaterial> {
  const read = async (field: "certFile" | "keyFile" | "caFile", path: string): Promise<string> => {
    try {
      return await readFile(path, "utf8");
    } catch (cause) {
      throw new SluiceError("INVALID_OPTION", `${OWNER}: option security.${field} ${path} cannot be read: ${(cause as Error).message}`, {
        field: `security.${field}`,
        value: path,
        cause,
      });
    }
  };
  const cert = await read("certFile", security.certFile);
  const key = await read("keyFile", security.keyFile);
  const ca = security.caFile ? await read("caFile", security.caFile) : cert;
  return checkMaterial({ cert, key, ca }, "security");
}

/**
 * The cluster's executor around the distributed one: workers load the flow from where its storage put it
 * in the image (the scheduler may run elsewhere, e.g. `sluice run` on a laptop), and once the cluster
 * failed, waiting attempts fail with its reason instead of waiting forever.
 */
function clusterExecutor(inner: Executor, failure: Promise<SluiceError>, locator: FlowLocator | undefined): Executor {
  const failed: Promise<TaskAttemptOutcome> = failure.then((error) => ({ kind: "failed", error: serializeError(error), noRetry: true }));
  return {
    kind: inner.kind,
    maxConcurrency: inner.maxConcurrency,
    describe: () => inner.describe(),
    start: async (options): Promise<ExecutorSession> => {
      const session = await inner.start(locator ? { ...options, locator } : options);
      return { submit: (request, signal) => Promise.race([session.submit(request, signal), failed]), close: () => session.close() };
    },
  };
}

/** Where the flow's storage put it, for processes that run its image (undefined: the runner's own locator). */
function imageLocator(flow: EnvironmentFlow): FlowLocator | undefined {
  const storage = (flow as { storage?: { contains?: (name: string) => boolean; locate?: (name: string) => FlowLocator } }).storage;
  return storage?.locate && storage.contains?.(flow.name) ? storage.locate(flow.name) : undefined;
}

export async function runOnCloudCluster(input: ClusterRunInput): Promise<FlowRunResult> {
  const { api, options, flowRunId, log } = input;
  const cluster = options.aws.runTask.cluster;
  const startedBy = options.aws.runTask.startedBy ?? "sluice";
  const registrar = new DefinitionRegistrar(api);
  const started: string[] = [];
  const queuePrefix = clusterQueuePrefix(flowRunId);
  const concurrency = options.workerConcurrency ?? input.config.executor.workerConcurrency;
  let conn: Redis | undefined;
  let pool: WorkerPool | undefined;
  let tempDir: string | undefined;

  const fromSecrets = secretVariables(options);
  const launch = async (role: ClusterRole, definition: ReturnType<typeof clusterTaskDefinition>, env: Record<string, string>): Promise<string> => {
    const registered = await registrar.ensure(definition);
    const request = clusterRunTask({
      aws: options.aws,
      taskDefinition: registered.arn,
      networkMode: registered.definition.networkMode as string | undefined,
      flowRunId,
      role,
      // A variable the containers take from an ECS secret is never sent as a value as well.
      env: Object.fromEntries(Object.entries(env).filter(([name]) => !fromSecrets.has(name))),
    });
    const result = await startTask(api, { ...request, startedBy });
    if (result.failure) {
      throw new SluiceError(
        "DEPLOY_FAILED",
        `${OWNER}: the ${role} task did not start: ${result.failure.reason}: ${result.failure.message}. ${result.failure.hint}`,
        {
          flowRunId,
          kind: "cloud-cluster",
          field: result.failure.reason,
        },
      );
    }
    started.push(result.taskArn);
    log("debug", `cluster: started ${role} task ${result.taskArn}`, { taskArn: result.taskArn, role });
    return result.taskArn;
  };

  try {
    let redis: RedisSpec;
    let workerEnv: Record<string, string>;
    let workerUrl: string;
    const { compileRedis, connectRedis, createDistributedExecutor, inspectQueue } = await import("../../../executors/distributed/index.js");
    if (options.broker !== undefined) {
      const given = schedulerBroker(options.broker, fromSecrets, input.config.executor.redisPassword);
      const compiled = compileRedis(given, { allowInsecure: options.allowInsecureBroker, field: "broker" });
      redis = given;
      workerUrl = compiled.display;
      const tls = typeof options.broker === "object" ? options.broker.tls : undefined;
      workerEnv = {
        ...(compiled.password !== undefined ? { [PASSWORD_VARIABLE]: compiled.password } : {}),
        ...(tls?.caFile ? { SLUICE__EXECUTOR__REDIS_TLS_CA_FILE: tls.caFile } : {}),
        ...(tls?.servername ? { SLUICE__EXECUTOR__REDIS_TLS_SERVERNAME: tls.servername } : {}),
        ...(options.allowInsecureBroker ? { SLUICE__EXECUTOR__ALLOW_INSECURE_REDIS: "true" } : {}),
      };
      conn = await connectRedis(compiled, `sluice-cluster-${flowRunId}`.slice(0, 60));
      log("info", `cluster: using broker ${compiled.display}`);
    } else {
      const material = options.security ? await readMaterial(options.security) : selfSignedMaterial({ serverName: BROKER_SERVER_NAME });
      const password = newPassword();
      const brokerDefinition = clusterTaskDefinition({
        aws: options.aws,
        flowName: input.flow.name,
        role: "broker",
        image: options.brokerImage ?? input.image,
        script: brokerScript(options.brokerCommand, options.brokerPort),
      });
      const brokerArn = await launch("broker", brokerDefinition, {
        [BROKER_PASSWORD_VARIABLE]: password,
        [BROKER_CERT_VARIABLE]: material.cert,
        [BROKER_KEY_VARIABLE]: material.key,
      });
      const address = await waitForAddress(api, cluster, brokerArn, options.startDeadlineMs, options.pollIntervalMs);
      tempDir = await mkdtemp(join(tmpdir(), "sluice-cluster-"));
      const caFile = join(tempDir, "ca.pem");
      await writeFile(caFile, material.ca, { mode: 0o600 });
      workerUrl = `rediss://${address.includes(":") ? `[${address}]` : address}:${options.brokerPort}`;
      const spec: RedisConnectionOptions = { url: workerUrl, password, tls: { caFile, servername: BROKER_SERVER_NAME }, connectTimeoutMs: 2000 };
      redis = spec;
      conn = await connectWhenUp(() => connectRedis(compileRedis(spec, { field: "broker" }), `sluice-cluster-${flowRunId}`.slice(0, 60)), {
        api,
        cluster,
        brokerArn,
        deadline: Date.now() + options.startDeadlineMs,
      });
      workerEnv = { [PASSWORD_VARIABLE]: password, [BROKER_CA_VARIABLE]: material.ca };
      log("info", `cluster: the run's broker answers at ${workerUrl} (TLS, password of the run; task ${brokerArn})`);
    }

    const workerDefinition = clusterTaskDefinition({
      aws: options.aws,
      flowName: input.flow.name,
      role: "worker",
      image: input.image,
      script: workerScript(options.sluiceCommand),
      env: { ...input.sharedEnv, ...workerSharedEnv({ queuePrefix, concurrency, ownBroker: options.broker === undefined }) },
    });
    const liveConn = conn;
    pool = new WorkerPool({
      api,
      cluster,
      sizing: options.sizing,
      concurrency,
      intervalMs: options.scaleIntervalMs,
      scaleDownDelayMs: options.scaleDownDelayMs,
      maxWorkerFailures: options.maxWorkerFailures,
      launch: (workerId) =>
        launch("worker", workerDefinition, {
          ...workerEnv,
          SLUICE__EXECUTOR__REDIS_URL: workerUrl,
          SLUICE__CONTEXT__FLOW_RUN_ID: flowRunId,
          SLUICE__CONTEXT__IMAGE: input.image,
          [WORKER_ID_VARIABLE]: workerId,
        }),
      readLoad: async () => {
        const q = await inspectQueue(liveConn, queuePrefix);
        return { waiting: q.waiting, active: q.active, liveWorkers: q.workers };
      },
      log,
    });
    await pool.start();
    const sizing = options.sizing.kind === "fixed" ? `${options.sizing.workers} worker(s)` : `between ${options.sizing.min} and ${options.sizing.max} workers`;
    log("info", `cluster: started ${pool.size} worker task(s); running ${sizing}`);
    input.onReady?.({ broker: workerUrl, pool });

    const distributed = createDistributedExecutor(
      { ...options.executorOptions, redis: redis as JsonObject | string, queuePrefix, allowInsecure: options.allowInsecureBroker },
      input.config,
    );
    return await input.runFlow(clusterExecutor(distributed, pool.failure, imageLocator(input.flow)));
  } finally {
    await pool?.stop();
    conn?.disconnect();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    try {
      const stopped = await stopRunTasks(api, cluster, flowRunId, startedBy, started);
      log("info", `cluster: stopped ${stopped.length} task(s) of the run (${started.length} started; peak ${pool?.peak ?? 0} worker(s))`, { stopped });
    } catch (error) {
      log("error", `cluster: stopping the run's tasks failed (the ECS agent stops tasks tagged with a finished run): ${(error as Error).message}`, {
        error: serializeError(error),
      });
    }
  }
}

/**
 * The existing broker as the scheduler connects to it. When the workers take the broker's password from
 * an ECS secret and the option holds none, the scheduler takes it where its own process has it: its
 * configuration's executor.redisPassword (SLUICE__EXECUTOR__REDIS_PASSWORD, which its own task can take
 * from the same secret).
 */
function schedulerBroker(broker: NonNullable<CompiledClusterOptions["broker"]>, fromSecrets: ReadonlySet<string>, ownPassword: string | undefined): RedisSpec {
  if (!fromSecrets.has(PASSWORD_VARIABLE)) return broker;
  const spec = typeof broker === "string" ? { url: broker } : broker;
  if (spec.password !== undefined || new URL(spec.url).password !== "") return broker;
  if (ownPassword === undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${OWNER}: the workers take the broker's password from an ECS secret (containerDefinitions.0.secrets names ${PASSWORD_VARIABLE}) but the scheduler has none: set ${PASSWORD_VARIABLE} where the scheduler runs (from the same secret), or give broker.password`,
      { field: "broker.password", kind: "cloud-cluster" },
    );
  }
  return { ...spec, password: ownPassword };
}

/** Waits for the broker task to run and have an address; a task that stops or never starts is an error naming why. */
async function waitForAddress(api: EcsApi, cluster: string | undefined, arn: string, deadlineMs: number, pollMs: number): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const task = (await api.describeTask(cluster, arn)) as (EcsTask & Parameters<typeof taskAddress>[0]) | undefined;
    if (task?.lastStatus === "STOPPED") throw brokerStopped(task);
    const address = task?.lastStatus === "RUNNING" ? taskAddress(task) : undefined;
    if (address) return address;
    if (Date.now() > deadline) {
      throw new SluiceError(
        "DEPLOY_FAILED",
        `${OWNER}: the broker task ${arn} was not running with an address within ${Math.round(deadlineMs / 1000)} s (status ${task?.lastStatus ?? "unknown"}); it needs networkMode "awsvpc"`,
        { kind: "cloud-cluster", field: "startDeadlineMs" },
      );
    }
    await sleep(pollMs);
  }
}

function brokerStopped(task: EcsTask): SluiceError {
  const failure = stoppedTaskFailure(task);
  const why = failure ? `${failure.reason}: ${failure.message}. ${failure.hint}` : `it stopped: ${task.stoppedReason ?? "no reason given"}`;
  return new SluiceError("DEPLOY_FAILED", `${OWNER}: the broker task ended before the run did (${why}); its image must hold redis-server built with TLS`, {
    kind: "cloud-cluster",
    field: failure?.reason ?? "broker",
  });
}

/** Connects once the broker listens; gives up when its task stopped or the deadline passed. */
async function connectWhenUp(
  connect: () => Promise<Redis>,
  watch: { api: EcsApi; cluster: string | undefined; brokerArn: string; deadline: number },
): Promise<Redis> {
  for (;;) {
    try {
      return await connect();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/WRONGPASS|NOAUTH|certificate|self.signed|altname/i.test(message) || Date.now() > watch.deadline) {
        throw new SluiceError("DEPLOY_FAILED", `${OWNER}: the run's broker cannot be used: ${message}`, {
          kind: "cloud-cluster",
          field: "broker",
          cause: error,
        });
      }
      const task = await watch.api.describeTask(watch.cluster, watch.brokerArn);
      if (task?.lastStatus === "STOPPED") throw brokerStopped(task);
    }
    await sleep(250);
  }
}
