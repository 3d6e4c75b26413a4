/**
 * The broker of a worker cluster: the Redis the distributed executor and its workers share. Either the
 * user's (option `broker`), or an ephemeral one for the run: a Redis pod and its Service, with a password
 * generated for the run and kept in a Secret (never an open broker, never a password in a manifest),
 * removed with the run. Pure functions building the manifests and the workers' view of the broker.
 */
import { randomBytes } from "node:crypto";
import type { CompiledRedis } from "../../../executors/distributed/index.js";
import type { EnvVar } from "../manifest-types.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../names.js";
import { CLUSTER_ROLE_LABEL, generateNameFor } from "./cluster-names.js";
import type { PodManifest } from "./pod-spec.js";
import type { OwnerReference } from "./worker-pod.js";

/** Key of the password in the run's broker Secret. */
export const BROKER_PASSWORD_KEY = "redis-password";
// The ephemeral broker's default image is declared with its options, which stay light.
export { DEFAULT_BROKER_IMAGE } from "./options.js";
const PASSWORD_VARIABLE = "SLUICE_BROKER_PASSWORD";

export interface EphemeralBrokerSettings {
  /** Image holding `redis-server`. */
  image: string;
  /** Port Redis listens on in its pod (and the Service's port). */
  port: number;
  /** How the scheduler and workers reach it: the Service's DNS name, or the pod's IP (clusters without DNS). */
  address: "service" | "pod-ip";
  /** How long the broker may take to answer, in ms. */
  startTimeoutMs: number;
}

export interface SecretManifest {
  apiVersion: "v1";
  kind: "Secret";
  metadata: { generateName?: string; name?: string; labels: Record<string, string>; ownerReferences?: OwnerReference[] };
  type: string;
  stringData: Record<string, string>;
}

export interface ServiceManifest {
  apiVersion: "v1";
  kind: "Service";
  metadata: { generateName: string; labels: Record<string, string>; ownerReferences?: OwnerReference[] };
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: number }[] };
}

/** A password for one run's broker (32 URL-safe characters). */
export const newBrokerPassword = (): string => randomBytes(24).toString("base64url");

interface Common {
  flowRunId: string;
  identifier: string;
  owner?: OwnerReference;
}

function meta(c: Common): { generateName: string; labels: Record<string, string>; ownerReferences?: OwnerReference[] } {
  return {
    generateName: generateNameFor("sluice-broker", c.flowRunId),
    labels: {
      [IDENTIFIER_LABEL]: c.identifier,
      [FLOW_RUN_ID_LABEL]: c.flowRunId,
      [CLUSTER_ROLE_LABEL]: "broker",
      [CREATED_BY_LABEL]: "kubernetes-cluster-environment",
    },
    ...(c.owner ? { ownerReferences: [{ ...c.owner }] } : {}),
  };
}

/** The Secret holding the run's broker password. */
export function brokerSecret(c: Common & { password: string }): SecretManifest {
  return { apiVersion: "v1", kind: "Secret", metadata: meta(c), type: "Opaque", stringData: { [BROKER_PASSWORD_KEY]: c.password } };
}

/** The ephemeral broker's pod: `redis-server` on `port`, password from the Secret, nothing written to disk. */
export function brokerPod(c: Common & { settings: EphemeralBrokerSettings; secretName: string; imagePullSecrets?: readonly string[] }): PodManifest {
  const password: EnvVar = { name: PASSWORD_VARIABLE, valueFrom: { secretKeyRef: { name: c.secretName, key: BROKER_PASSWORD_KEY } } };
  const pullSecrets = (c.imagePullSecrets ?? []).map((name) => ({ name }));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta(c),
    spec: {
      restartPolicy: "Never",
      ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets } : {}),
      containers: [
        {
          name: "redis",
          image: c.settings.image,
          command: ["redis-server"],
          args: ["--port", String(c.settings.port), "--requirepass", `$(${PASSWORD_VARIABLE})`, "--save", "", "--appendonly", "no"],
          env: [password],
          ports: [{ name: "redis", containerPort: c.settings.port }],
        },
      ],
    },
  };
}

/** The Service in front of the ephemeral broker (it selects the run's broker pod). */
export function brokerService(c: Common & { port: number }): ServiceManifest {
  const m = meta(c);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: m,
    spec: {
      selector: { [FLOW_RUN_ID_LABEL]: c.flowRunId, [IDENTIFIER_LABEL]: c.identifier, [CLUSTER_ROLE_LABEL]: "broker" },
      ports: [{ name: "redis", port: c.port, targetPort: c.port }],
    },
  };
}

/** Host of the ephemeral broker: the Service's DNS name in the namespace, or the pod's IP. */
export function ephemeralBrokerHost(address: EphemeralBrokerSettings["address"], serviceName: string, namespace: string, podIP: string | undefined): string {
  if (address === "service") return `${serviceName}.${namespace}.svc`;
  if (!podIP) throw new Error("the broker pod has no IP yet");
  return podIP.includes(":") ? `[${podIP}]` : podIP;
}

/** A broker's URL without its password (the user name kept), for workers' variables and messages. */
export function urlWithoutPassword(redis: CompiledRedis): string {
  if (redis.username === undefined) return redis.display;
  return redis.display.replace("://", `://${encodeURIComponent(redis.username)}@`);
}
