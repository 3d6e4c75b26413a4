/**
 * Getting the run's broker ready, in the scheduler: connect to the user's Redis (failing fast with the
 * reason when it cannot be used), or start the ephemeral one (Secret with a fresh password, pod, Service)
 * and wait until it answers. Either way the password reaches the workers through a Secret of the run.
 */
import type { Redis } from "ioredis";
import { SluiceError } from "../../../core/errors.js";
import { compileRedis, connectRedis, type RedisConnectionOptions, type RedisSpec } from "../../../executors/distributed/index.js";
import {
  BROKER_PASSWORD_KEY,
  brokerPod,
  brokerSecret,
  brokerService,
  ephemeralBrokerHost,
  newBrokerPassword,
  urlWithoutPassword,
  type EphemeralBrokerSettings,
} from "./broker.js";
import type { ClusterApi } from "./cluster-api.js";
import { podVerdict } from "./pod-health.js";
import type { BrokerAccess, OwnerReference } from "./worker-pod.js";

/** A broker ready for the run. */
export interface ReadyBroker {
  /** How the scheduler's executor connects. */
  redis: RedisSpec;
  /** How workers connect (no password: it is in a Secret). */
  access: BrokerAccess;
  /** An open connection (the scaler reads the queue with it); the caller disconnects it. */
  conn: Redis;
  /** One line for logs, without credentials. */
  description: string;
}

export interface BrokerLaunchContext {
  api: ClusterApi;
  namespace: string;
  flowRunId: string;
  identifier: string;
  owner?: OwnerReference;
  imagePullSecrets: readonly string[];
  /** Names the environment in errors. */
  ownerName: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Answers that retrying cannot change: the password is refused (WRONGPASS, NOAUTH, a Redis without
 * password), the user lacks a permission (NOPERM), or what answers does not speak Redis.
 */
const PERMANENT_BROKER_ERROR = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|without any password configured|Unknown RESP type|Protocol error/i;

/** Whether a failed connection to a broker would fail again however long one retries. */
export function isPermanentBrokerError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (PERMANENT_BROKER_ERROR.test(e instanceof Error ? e.message : String(e))) return true;
  }
  return false;
}

async function passwordSecret(ctx: BrokerLaunchContext, password: string): Promise<string> {
  const secret = await ctx.api.createSecret(ctx.namespace, brokerSecret({ flowRunId: ctx.flowRunId, identifier: ctx.identifier, owner: ctx.owner, password }));
  return secret.metadata!.name!;
}

/** Connects to the user's broker; an unusable one is an error naming the URL (never the password) and the reason. */
export async function connectUserBroker(ctx: BrokerLaunchContext, spec: RedisSpec, allowInsecure: boolean): Promise<ReadyBroker> {
  const compiled = compileRedis(spec, { allowInsecure, field: "broker" });
  let conn: Redis;
  try {
    conn = await connectRedis(compiled, `sluice-cluster-${ctx.flowRunId}`.slice(0, 60));
  } catch (error) {
    throw new SluiceError("SERVICE_UNAVAILABLE", `${ctx.ownerName}: the broker cannot be used: ${(error as Error).message}`, {
      field: "broker",
      value: compiled.display,
      flowRunId: ctx.flowRunId,
      kind: "kubernetes-cluster",
      cause: error,
    });
  }
  try {
    const secretName = compiled.password === undefined ? undefined : await passwordSecret(ctx, compiled.password);
    const tls = typeof spec === "object" ? spec.tls : undefined;
    const files = tls
      ? { ...(tls.caFile ? { caFile: tls.caFile } : {}), ...(tls.certFile ? { certFile: tls.certFile } : {}), ...(tls.keyFile ? { keyFile: tls.keyFile } : {}) }
      : undefined;
    const access: BrokerAccess = {
      url: urlWithoutPassword(compiled),
      ...(secretName ? { passwordSecret: { name: secretName, key: BROKER_PASSWORD_KEY } } : {}),
      ...(files && Object.keys(files).length > 0 ? { tls: files } : {}),
      ...(allowInsecure ? { allowInsecure: true } : {}),
    };
    return { redis: spec, access, conn, description: `broker ${compiled.display}` };
  } catch (error) {
    conn.disconnect();
    throw error;
  }
}

/** Starts the run's own Redis (Secret, pod, Service) and resolves once it answers PING with the run's password. */
export async function startEphemeralBroker(ctx: BrokerLaunchContext, settings: EphemeralBrokerSettings): Promise<ReadyBroker> {
  const { api, namespace } = ctx;
  const deadline = Date.now() + settings.startTimeoutMs;
  const password = newBrokerPassword();
  const secretName = await passwordSecret(ctx, password);
  const common = { flowRunId: ctx.flowRunId, identifier: ctx.identifier, owner: ctx.owner };
  const pod = await api.createPod(namespace, brokerPod({ ...common, settings, secretName, imagePullSecrets: ctx.imagePullSecrets }));
  const service = await api.createService(namespace, brokerService({ ...common, port: settings.port }));
  const podName = pod.metadata!.name!;
  const fail = (reason: string, cause?: unknown): SluiceError =>
    new SluiceError("ENVIRONMENT_ERROR", `${ctx.ownerName}: the run's broker (pod ${podName}, image ${settings.image}) ${reason}`, {
      field: "ephemeralBroker",
      flowRunId: ctx.flowRunId,
      kind: "kubernetes-cluster",
      cause,
    });

  let podIP: string | undefined;
  while (podIP === undefined) {
    const current = await api.readPod(namespace, podName);
    if (!current) throw fail("was deleted before it started");
    const verdict = podVerdict(current);
    if (verdict.kind === "cannot-start" || verdict.kind === "ended") throw fail(`could not start: ${verdict.reason}`);
    if (verdict.kind === "ok" && verdict.running && current.status?.podIP) podIP = current.status.podIP;
    else if (Date.now() > deadline) throw fail(`was not running within ${settings.startTimeoutMs} ms (phase ${current.status?.phase ?? "unknown"})`);
    else await sleep(250);
  }

  const host = ephemeralBrokerHost(settings.address, service.metadata!.name!, namespace, podIP);
  const redis: RedisConnectionOptions = { url: `redis://${host}:${settings.port}`, password, connectTimeoutMs: 2000 };
  const compiled = compileRedis(redis, { field: "ephemeralBroker" });
  let lastError: unknown;
  for (;;) {
    try {
      const conn = await connectRedis(compiled, `sluice-cluster-${ctx.flowRunId}`.slice(0, 60));
      return {
        redis,
        access: { url: compiled.display, passwordSecret: { name: secretName, key: BROKER_PASSWORD_KEY } },
        conn,
        description: `ephemeral broker ${compiled.display} (pod ${podName}, Service ${service.metadata!.name!})`,
      };
    } catch (error) {
      lastError = error;
      if (isPermanentBrokerError(error)) throw fail(`refused the connection, which retrying cannot fix: ${(error as Error).message}`, error);
    }
    if (Date.now() > deadline) throw fail(`did not answer within ${settings.startTimeoutMs} ms: ${(lastError as Error).message}`, lastError);
    await sleep(250);
  }
}
