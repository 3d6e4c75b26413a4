/**
 * A thin launcher over @kubernetes/client-node for what a worker cluster creates and removes: pods,
 * Services and Secrets, plus finding the scheduler Job and reading a pod's log. Loaded on first use. Every
 * API error becomes a KubernetesApiError carrying the Kubernetes Status message and reason.
 */
import type { BatchV1Api, CoreV1Api, V1Job, V1Pod, V1Secret, V1Service } from "@kubernetes/client-node";
import { CLUSTER_SCHEDULER_ROLE, KubernetesApiError, kubernetesError } from "../api-error.js";
import { loadKubeConfig, type KubernetesConnectionOptions } from "../kubernetes-api.js";
import type { SecretManifest, ServiceManifest } from "./broker.js";
import { clusterSelector } from "./cluster-names.js";
import type { PodManifest } from "./pod-spec.js";

/** What `deleteByLabel` removed. */
export interface Removed {
  pods: string[];
  services: string[];
  secrets: string[];
}

const gone = (error: unknown): boolean => error instanceof KubernetesApiError && error.statusCode === 404;

export class ClusterApi {
  private constructor(
    /** The API server's URL, for messages. */
    readonly server: string,
    private readonly core: CoreV1Api,
    private readonly batch: BatchV1Api,
  ) {}

  /** Loads the configuration and makes the API clients (no request is made yet). */
  static async connect(options: KubernetesConnectionOptions = {}): Promise<ClusterApi> {
    const kc = await loadKubeConfig(options);
    const { BatchV1Api, CoreV1Api } = await import("@kubernetes/client-node");
    return new ClusterApi(kc.getCurrentCluster()?.server ?? "(unknown server)", kc.makeApiClient(CoreV1Api), kc.makeApiClient(BatchV1Api));
  }

  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw kubernetesError(action, error, this.server, CLUSTER_SCHEDULER_ROLE);
    }
  }

  /** The scheduler Job of a run (labelled `sluice.io/cluster-role=scheduler`), or null when the scheduler does not run in one. */
  async findSchedulerJob(namespace: string, flowRunId: string): Promise<V1Job | null> {
    const selector = clusterSelector(flowRunId, "scheduler");
    const list = await this.call(`listing Jobs (${selector}) in namespace ${namespace}`, () =>
      this.batch.listNamespacedJob({ namespace, labelSelector: selector }),
    );
    return list.items[0] ?? null;
  }

  async createPod(namespace: string, pod: PodManifest): Promise<V1Pod> {
    const what = pod.metadata.name ?? `${pod.metadata.generateName ?? ""}*`;
    return this.call(`creating pod ${what} in namespace ${namespace}`, () => this.core.createNamespacedPod({ namespace, body: pod as unknown as V1Pod }));
  }

  /** The pod, or null when it does not exist. */
  async readPod(namespace: string, name: string): Promise<V1Pod | null> {
    try {
      return await this.call(`reading pod ${name} in namespace ${namespace}`, () => this.core.readNamespacedPod({ name, namespace }));
    } catch (error) {
      if (gone(error)) return null;
      throw error;
    }
  }

  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const list = await this.call(`listing pods (${labelSelector}) in namespace ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector }));
    return list.items;
  }

  /** Deletes a pod (its containers get their grace period). Resolves to false when it was already gone. */
  async deletePod(namespace: string, name: string): Promise<boolean> {
    try {
      await this.call(`deleting pod ${name} in namespace ${namespace}`, () =>
        this.core.deleteNamespacedPod({ name, namespace, propagationPolicy: "Foreground" }),
      );
      return true;
    } catch (error) {
      if (gone(error)) return false;
      throw error;
    }
  }

  /** The last `tailLines` lines of a pod's container log ("" when it has none yet). */
  async readPodLog(namespace: string, name: string, container: string | undefined, tailLines: number): Promise<string> {
    try {
      return await this.call(`reading the log of pod ${name} in namespace ${namespace}`, () =>
        this.core.readNamespacedPodLog({ name, namespace, ...(container ? { container } : {}), tailLines }),
      );
    } catch (error) {
      if (error instanceof KubernetesApiError && (error.statusCode === 400 || error.statusCode === 404)) return "";
      throw error;
    }
  }

  async createService(namespace: string, service: ServiceManifest): Promise<V1Service> {
    return this.call(`creating Service ${service.metadata.generateName}* in namespace ${namespace}`, () =>
      this.core.createNamespacedService({ namespace, body: service as unknown as V1Service }),
    );
  }

  async createSecret(namespace: string, secret: SecretManifest): Promise<V1Secret> {
    const what = secret.metadata.name ?? `${secret.metadata.generateName ?? ""}*`;
    return this.call(`creating Secret ${what} in namespace ${namespace}`, () =>
      this.core.createNamespacedSecret({ namespace, body: secret as unknown as V1Secret }),
    );
  }

  /** The Secret, or null when it does not exist. */
  async readSecret(namespace: string, name: string): Promise<V1Secret | null> {
    try {
      return await this.call(`reading Secret ${name} in namespace ${namespace}`, () => this.core.readNamespacedSecret({ name, namespace }));
    } catch (error) {
      if (gone(error)) return null;
      throw error;
    }
  }

  /**
   * Deletes every pod, Service and Secret matching `labelSelector` (pods with Foreground propagation).
   * Objects already gone are skipped; the first other error is thrown after every deletion was tried.
   */
  async deleteByLabel(namespace: string, labelSelector: string): Promise<Removed> {
    const removed: Removed = { pods: [], services: [], secrets: [] };
    let firstError: unknown;
    const attempt = async (kind: keyof Removed, name: string, remove: () => Promise<unknown>): Promise<void> => {
      try {
        await this.call(`deleting ${kind.slice(0, -1)} ${name} in namespace ${namespace}`, remove);
        removed[kind].push(name);
      } catch (error) {
        if (!gone(error)) firstError ??= error;
      }
    };
    const [pods, services, secrets] = await Promise.all([
      this.call(`listing pods (${labelSelector}) in namespace ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector })),
      this.call(`listing Services (${labelSelector}) in namespace ${namespace}`, () => this.core.listNamespacedService({ namespace, labelSelector })),
      this.call(`listing Secrets (${labelSelector}) in namespace ${namespace}`, () => this.core.listNamespacedSecret({ namespace, labelSelector })),
    ]);
    const names = (items: { metadata?: { name?: string } }[]): string[] => items.map((i) => i.metadata?.name).filter((n): n is string => typeof n === "string");
    await Promise.all([
      ...names(pods.items).map((name) => attempt("pods", name, () => this.core.deleteNamespacedPod({ name, namespace, propagationPolicy: "Foreground" }))),
      ...names(services.items).map((name) => attempt("services", name, () => this.core.deleteNamespacedService({ name, namespace }))),
      ...names(secrets.items).map((name) => attempt("secrets", name, () => this.core.deleteNamespacedSecret({ name, namespace }))),
    ]);
    if (firstError !== undefined) throw firstError;
    return removed;
  }
}
