/**
 * The worker pods of a cluster: `sluice worker` processes serving the run's queue on the broker. Pure
 * functions on plain objects.
 *
 * - Default spec: one container `worker` running `<sluice> worker --worker-id <pod name>`, never
 *   restarted (a failed worker is replaced by the scaler), with the pull secrets of `imagePullSecret`.
 * - Custom spec (`workerSpecFile`): used as given; the first container gets the flow's image, and Sluice's
 *   command and args only when it sets neither (a spec that runs `sluice worker` itself keeps its own).
 * - Both: a generated name, the run's labels plus `sluice.io/cluster-role=worker`, an owner reference to
 *   the scheduler Job (so Kubernetes removes the workers when the Job goes, even if the scheduler
 *   crashed), and the broker's variables added to every container by name. The broker password is a
 *   reference to a Secret, never a value in the manifest.
 */
import { SluiceError, showValue } from "../../../core/errors.js";
import { mergeEnv } from "../flow-run-job.js";
import type { EnvVar } from "../manifest-types.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../names.js";
import type { SecretKeyRef } from "../run-env.js";
import { CLUSTER_ROLE_LABEL, generateNameFor } from "./cluster-names.js";
import { DEFAULT_WORKER_CONTAINER, type PodManifest } from "./pod-spec.js";

/** A reference from a dependent object to its owner, for Kubernetes' garbage collector. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** The variable holding the pod's own name (downward API), used as the worker's id. */
export const POD_NAME_VARIABLE = "SLUICE_WORKER_POD_NAME";

/** How workers reach the broker. */
export interface BrokerAccess {
  /** redis:// or rediss:// URL without a password (a user name may be in it). */
  url: string;
  /** The Secret key holding the password, when the broker has one. */
  passwordSecret?: SecretKeyRef;
  /** TLS files as paths in the worker's image (from the broker option). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Accept a non-loopback broker without password or TLS. */
  allowInsecure?: boolean;
}

/** The variables that point `sluice worker` at the run's queue (SLUICE__EXECUTOR__*). */
export function brokerEnv(broker: BrokerAccess, queuePrefix: string, concurrency: number): EnvVar[] {
  const env: EnvVar[] = [
    { name: "SLUICE__EXECUTOR__REDIS_URL", value: broker.url },
    { name: "SLUICE__EXECUTOR__QUEUE_PREFIX", value: queuePrefix },
    { name: "SLUICE__EXECUTOR__WORKER_CONCURRENCY", value: String(concurrency) },
  ];
  if (broker.passwordSecret) env.push({ name: "SLUICE__EXECUTOR__REDIS_PASSWORD", valueFrom: { secretKeyRef: { ...broker.passwordSecret } } });
  if (broker.tls?.caFile) env.push({ name: "SLUICE__EXECUTOR__REDIS_TLS_CA_FILE", value: broker.tls.caFile });
  if (broker.tls?.certFile) env.push({ name: "SLUICE__EXECUTOR__REDIS_TLS_CERT_FILE", value: broker.tls.certFile });
  if (broker.tls?.keyFile) env.push({ name: "SLUICE__EXECUTOR__REDIS_TLS_KEY_FILE", value: broker.tls.keyFile });
  if (broker.allowInsecure) env.push({ name: "SLUICE__EXECUTOR__ALLOW_INSECURE_REDIS", value: "true" });
  return env;
}

export interface WorkerPodOptions {
  /** The user's worker spec (validated), or undefined for the default. */
  spec?: PodManifest;
  image: string;
  flowRunId: string;
  /** The launch's identifier (the scheduler Job's). */
  identifier: string;
  /** The run's namespace (a custom spec naming another one is an error). */
  namespace: string;
  /** Variables for every container: the run contract and `brokerEnv`. */
  env: readonly EnvVar[];
  /** How the container starts Sluice's CLI, e.g. ["sluice"]. */
  sluiceCommand: readonly string[];
  /** Pull secrets of the default spec (ignored for a custom spec). @default [] */
  imagePullSecrets?: readonly string[];
  /** The scheduler Job, when the scheduler runs in one. @default undefined */
  owner?: OwnerReference;
  /** On deletion, how long a worker may finish its running tasks, in seconds (default spec). @default 30 */
  terminationGraceSeconds?: number;
}

/** Command and args of a default worker: `<sluice> worker --worker-id <pod name> --shutdown-grace <ms>`. */
export function workerCommand(sluiceCommand: readonly string[], graceSeconds: number): { command: string[]; args: string[] } {
  const [program, ...rest] = sluiceCommand;
  const graceMs = Math.max(0, graceSeconds - 2) * 1000;
  return { command: [program!], args: [...rest, "worker", "--worker-id", `$(${POD_NAME_VARIABLE})`, "--shutdown-grace", String(graceMs)] };
}

/** One worker pod of `options.flowRunId`. The custom spec is not mutated. */
export function buildWorkerPod(options: WorkerPodOptions): PodManifest {
  const grace = options.terminationGraceSeconds ?? 30;
  const pod: PodManifest = options.spec
    ? structuredClone(options.spec)
    : {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { labels: {} },
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: grace,
          ...((options.imagePullSecrets ?? []).length > 0 ? { imagePullSecrets: options.imagePullSecrets!.map((name) => ({ name })) } : {}),
          containers: [{ name: DEFAULT_WORKER_CONTAINER }],
        },
      };
  const { metadata } = pod;
  if (metadata.namespace !== undefined && metadata.namespace !== options.namespace) {
    throw new SluiceError(
      "INVALID_INPUT",
      `the worker spec's metadata.namespace ${showValue(metadata.namespace)} differs from the run's namespace ${showValue(options.namespace)}; remove it from the worker spec`,
      { field: "workerSpecFile:metadata.namespace", value: metadata.namespace, kind: "kubernetes-cluster" },
    );
  }
  const base = typeof metadata.name === "string" && metadata.name !== "" ? metadata.name.slice(0, 40).replace(/[-.]+$/, "") : undefined;
  delete metadata.name;
  metadata.generateName = base ? `${base}-` : generateNameFor("sluice-worker", options.flowRunId);
  metadata.labels[IDENTIFIER_LABEL] = options.identifier;
  metadata.labels[FLOW_RUN_ID_LABEL] = options.flowRunId;
  metadata.labels[CLUSTER_ROLE_LABEL] = "worker";
  metadata.labels[CREATED_BY_LABEL] ??= "kubernetes-cluster-environment";
  if (options.owner) metadata.ownerReferences = [{ ...options.owner }];

  const first = pod.spec.containers[0]!;
  first.image = options.image;
  const hasOwnCommand = (first.command?.length ?? 0) > 0 || (first.args?.length ?? 0) > 0;
  if (!hasOwnCommand) Object.assign(first, workerCommand(options.sluiceCommand, grace));
  const env: EnvVar[] = [{ name: POD_NAME_VARIABLE, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }, ...options.env];
  for (const container of pod.spec.containers) container.env = mergeEnv(container.env, env);
  return pod;
}
