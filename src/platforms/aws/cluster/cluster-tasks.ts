/**
 * The ECS tasks of a run's cluster, as pure functions on plain objects:
 *
 * - the broker: a task of the flow's image (or `brokerImage`) whose container writes the run's TLS
 *   certificate and key (given as variables of this run only) to files and runs `redis-server` with TLS
 *   only (no plain port), the run's password and nothing written to disk;
 * - a worker: a task of the flow's image running `sluice worker` on the run's queue, trusting exactly the
 *   broker's CA (written from a variable to a file first) and checking the broker's certificate name;
 * - their task definitions, built from the user's AWS options like FargateTaskEnvironment's, with
 *   families derived from their content (reused across runs, never deregistered);
 * - their RunTask inputs: every task carries the run-id tag and its role tag, and the variables of this
 *   run (password, certificate, run id) only as overrides, never in a definition.
 */
import { SluiceError } from "../../../core/errors.js";
import { familyFor } from "../definition-compare.js";
import type { Json } from "../ecs-client.js";
import type { SplitOptions } from "../options.js";
import { buildRunTaskInput, type RunTaskRequest } from "../run-task.js";
import { buildTaskDefinition, type TaskDefinitionSpec } from "../task-definition.js";
import { BROKER_SERVER_NAME, OWNER } from "./options.js";

/** The tag naming a task's part in the cluster. */
export const CLUSTER_ROLE_TAG = "sluice.io/cluster-role";
export type ClusterRole = "broker" | "worker";

/** Variables of one run only (RunTask overrides). */
export const BROKER_PASSWORD_VARIABLE = "SLUICE_BROKER_PASSWORD";
export const BROKER_CERT_VARIABLE = "SLUICE_BROKER_TLS_CERT";
export const BROKER_KEY_VARIABLE = "SLUICE_BROKER_TLS_KEY";
export const BROKER_CA_VARIABLE = "SLUICE_BROKER_TLS_CA";
export const WORKER_ID_VARIABLE = "SLUICE_WORKER_ID";

/** Where the containers write the TLS material (inside their own task). */
const CERT_PATH = "/tmp/sluice-broker-cert.pem";
const KEY_PATH = "/tmp/sluice-broker-key.pem";
const CA_PATH = "/tmp/sluice-broker-ca.pem";

/** A word quoted for POSIX sh. */
export const shellQuote = (word: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** The broker container's script: TLS files from the variables, then redis-server with TLS only. */
export function brokerScript(brokerCommand: readonly string[], port: number): string {
  const redis = [
    ...brokerCommand,
    "--port",
    "0",
    "--tls-port",
    String(port),
    "--tls-cert-file",
    CERT_PATH,
    "--tls-key-file",
    KEY_PATH,
    "--tls-auth-clients",
    "no",
    "--save",
    "",
    "--appendonly",
    "no",
  ]
    .map(shellQuote)
    .join(" ");
  return [
    "umask 077",
    `printf '%s' "$${BROKER_CERT_VARIABLE}" > ${CERT_PATH}`,
    `printf '%s' "$${BROKER_KEY_VARIABLE}" > ${KEY_PATH}`,
    `exec ${redis} --requirepass "$${BROKER_PASSWORD_VARIABLE}"`,
  ].join("\n");
}

/** The worker container's script: the CA file from its variable (when given), then `sluice worker`. */
export function workerScript(sluiceCommand: readonly string[]): string {
  const worker = [...sluiceCommand, "worker"].map(shellQuote).join(" ");
  return [
    "umask 077",
    `if [ -n "$${BROKER_CA_VARIABLE}" ]; then printf '%s' "$${BROKER_CA_VARIABLE}" > ${CA_PATH}; fi`,
    `exec ${worker} --worker-id "$${WORKER_ID_VARIABLE}"`,
  ].join("\n");
}

export interface DefinitionInput {
  aws: SplitOptions;
  flowName: string;
  role: ClusterRole;
  image: string;
  /** The container's script (run by `sh -c`). */
  script: string;
  /** Variables shared by every run of the flow (never secrets). @default {} */
  env?: Readonly<Record<string, string>>;
}

/** The task definition of a broker or a worker, family derived from its content. */
export function clusterTaskDefinition(input: DefinitionInput): TaskDefinitionSpec & { family: string } {
  const spec = buildTaskDefinition({
    options: input.aws.taskDefinition,
    launchType: input.aws.environment.launchType,
    image: input.image,
    command: ["sh", "-c", input.script],
    env: input.env ?? {},
  });
  return { ...spec, family: familyFor(`${input.flowName}-cluster-${input.role}`, spec as Json) };
}

/** The variables workers read from their definition: the queue and how to check the broker's certificate. */
export function workerSharedEnv(input: { queuePrefix: string; concurrency: number; ownBroker: boolean }): Record<string, string> {
  return {
    SLUICE__EXECUTOR__QUEUE_PREFIX: input.queuePrefix,
    SLUICE__EXECUTOR__WORKER_CONCURRENCY: String(input.concurrency),
    ...(input.ownBroker ? { SLUICE__EXECUTOR__REDIS_TLS_CA_FILE: CA_PATH, SLUICE__EXECUTOR__REDIS_TLS_SERVERNAME: BROKER_SERVER_NAME } : {}),
  };
}

export interface ClusterRunTaskInput {
  aws: SplitOptions;
  taskDefinition: string;
  networkMode: string | undefined;
  flowRunId: string;
  role: ClusterRole;
  /** Variables of this task only (overrides). */
  env: Readonly<Record<string, string>>;
}

/** The RunTask request of one broker or worker task: the run-id and role tags, this task's variables as overrides. */
export function clusterRunTask(input: ClusterRunTaskInput): RunTaskRequest {
  let request: RunTaskRequest;
  try {
    request = buildRunTaskInput({
      options: input.aws.runTask,
      taskDefinition: input.taskDefinition,
      networkMode: input.networkMode,
      launchType: input.aws.environment.launchType,
      flowRunId: input.flowRunId,
      runEnv: input.env,
    });
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    throw new SluiceError("INVALID_OPTION", error.message.replace(/^FargateTaskEnvironment:/, `${OWNER}:`), {
      field: error.field,
      kind: "cloud-cluster",
      cause: error,
    });
  }
  request.tags = [...request.tags.filter((t) => t.key !== CLUSTER_ROLE_TAG), { key: CLUSTER_ROLE_TAG, value: input.role }];
  return request;
}

/** The private address of a running awsvpc task (its ENI's), or undefined while it has none. */
export function taskAddress(task: {
  attachments?: { details?: { name?: string; value?: string }[] }[];
  containers?: { networkInterfaces?: { privateIpv4Address?: string }[] }[];
}): string | undefined {
  for (const attachment of task.attachments ?? []) {
    const ip = attachment.details?.find((d) => d.name === "privateIPv4Address")?.value;
    if (ip) return ip;
  }
  for (const container of task.containers ?? []) {
    const ip = container.networkInterfaces?.find((n) => n.privateIpv4Address)?.privateIpv4Address;
    if (ip) return ip;
  }
  return undefined;
}
