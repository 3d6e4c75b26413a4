/**
 * A thin launcher over @kubernetes/client-node (loaded on first use, so importing Sluice never loads it):
 * connect with a kubeconfig file and context, or the in-cluster service account, then create, read, list
 * and delete the Jobs and pods of flow runs, and give informers (informer.ts) a list-and-watch source for
 * the Jobs, the pods and the pods' events. Every API error becomes a KubernetesApiError that
 * carries the Kubernetes Status message and reason. Creating a Job is idempotent per flow run: an
 * "AlreadyExists" answer for a Job of the same run is success.
 */
import type { BatchV1Api, CoreV1Api, CoreV1Event, KubeConfig, V1Job, V1ListMeta, V1Pod, Watch } from "@kubernetes/client-node";
import { SluiceError, showValue } from "../../core/errors.js";
import { KubernetesApiError, kubernetesError } from "./api-error.js";
import type { InformerSource, ListedObjects } from "./informer.js";
import type { JobManifest } from "./manifest-types.js";
import { FLOW_RUN_ID_LABEL } from "./names.js";

export interface KubernetesConnectionOptions {
  /**
   * Path of a kubeconfig file.
   * @default undefined: the client's default search (KUBECONFIG, ~/.kube/config, then the in-cluster service account)
   */
  kubeconfig?: string;
  /** Context of the kubeconfig to use. @default the kubeconfig's current-context */
  context?: string;
}

/** How a create ended: a new Job, or the Job this run already had (a repeated create). */
export interface CreatedJob {
  job: V1Job;
  created: boolean;
}

export type PropagationPolicy = "Foreground" | "Background" | "Orphan";

/** Loads the kubeconfig (a file, else the client's default search) and selects the context; errors name the config key to set. */
export async function loadKubeConfig(options: KubernetesConnectionOptions): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  try {
    if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
  } catch (cause) {
    throw new SluiceError(
      "CONFIG_INVALID",
      `cannot load the Kubernetes configuration${options.kubeconfig ? ` from ${options.kubeconfig}` : ""}: ${(cause as Error).message}. Set kubernetes.kubeconfig (SLUICE__KUBERNETES__KUBECONFIG) to a valid kubeconfig file.`,
      { field: "kubernetes.kubeconfig", value: options.kubeconfig, kind: "kubernetes", cause },
    );
  }
  if (options.context !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(options.context)) {
      throw new SluiceError(
        "CONFIG_INVALID",
        `Kubernetes context ${showValue(options.context)} is not in the kubeconfig; its contexts are ${names.map((n) => JSON.stringify(n)).join(", ") || "none"}`,
        { field: "kubernetes.context", value: options.context, kind: "kubernetes" },
      );
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || (options.kubeconfig === undefined && cluster.name === "cluster" && cluster.server === "http://localhost:8080")) {
    throw new SluiceError(
      "CONFIG_INVALID",
      "no Kubernetes configuration found: not running in a pod, no KUBECONFIG and no ~/.kube/config. Set kubernetes.kubeconfig (SLUICE__KUBERNETES__KUBECONFIG) to a kubeconfig file.",
      { field: "kubernetes.kubeconfig", kind: "kubernetes" },
    );
  }
  return kc;
}

export class KubernetesApi {
  private constructor(
    /** The API server's URL, for messages. */
    readonly server: string,
    private readonly batch: BatchV1Api,
    private readonly core: CoreV1Api,
    private readonly watcher: Watch,
  ) {}

  /** Loads the configuration and makes the API clients (no request is made yet). */
  static async connect(options: KubernetesConnectionOptions = {}): Promise<KubernetesApi> {
    const kc = await loadKubeConfig(options);
    const { BatchV1Api, CoreV1Api, Watch } = await import("@kubernetes/client-node");
    const server = kc.getCurrentCluster()?.server ?? "(unknown server)";
    return new KubernetesApi(server, kc.makeApiClient(BatchV1Api), kc.makeApiClient(CoreV1Api), new Watch(kc));
  }

  private async call<T>(action: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw kubernetesError(action, error, this.server);
    }
  }

  /**
   * Creates `job` in `namespace`. When a Job of that name exists and carries the same flow-run id label,
   * the create was already done: resolves to that Job with `created: false`. A Job of another run (or of
   * none) under that name is a CONFLICT error saying so.
   */
  async createJob(namespace: string, job: JobManifest, flowRunId: string): Promise<CreatedJob> {
    const name = job.metadata.name ?? `${job.metadata.generateName ?? ""}*`;
    const action = `creating Job ${name} in namespace ${namespace}`;
    try {
      const created = await this.batch.createNamespacedJob({ namespace, body: job as unknown as V1Job });
      return { job: created, created: true };
    } catch (raw) {
      const error = kubernetesError(action, raw, this.server);
      if (error.reason !== "AlreadyExists" || job.metadata.name === undefined) throw error;
      const existing = await this.readJob(namespace, job.metadata.name);
      const owner = existing?.metadata?.labels?.[FLOW_RUN_ID_LABEL];
      if (existing && owner === flowRunId) return { job: existing, created: false };
      throw new KubernetesApiError(
        "CONFLICT",
        `${action} failed: a Job named ${job.metadata.name} already exists ${owner ? `for another flow run (${owner})` : "and was not created by Sluice"}. ` +
          "Set uniqueJobName: true on the environment so every run gets its own Job name, or delete the old Job.",
        { statusCode: error.statusCode, reason: error.reason, statusMessage: error.statusMessage, cause: raw },
      );
    }
  }

  /** The Job, or null when it does not exist. */
  async readJob(namespace: string, name: string): Promise<V1Job | null> {
    try {
      return await this.call(`reading Job ${name} in namespace ${namespace}`, () => this.batch.readNamespacedJob({ name, namespace }));
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 404) return null;
      throw error;
    }
  }

  /** Every Job matching `labelSelector`, paging through the list `pageSize` at a time. */
  async listJobs(namespace: string, labelSelector: string, pageSize = 100): Promise<V1Job[]> {
    return (await this.#listJobsAt(namespace, labelSelector, pageSize)).items;
  }

  #listJobsAt(namespace: string, labelSelector: string, pageSize: number): Promise<ListedObjects<V1Job>> {
    return this.#pages(`listing Jobs (${labelSelector}) in namespace ${namespace}`, (next) =>
      this.batch.listNamespacedJob({ namespace, labelSelector, limit: pageSize, _continue: next }),
    );
  }

  /**
   * Reads a list page by page (`limit`/`continue`: the pages are one snapshot) and answers its items with
   * the resourceVersion of that snapshot, from which a watch misses nothing.
   */
  async #pages<T>(action: string, page: (next: string | undefined) => Promise<{ items: T[]; metadata?: V1ListMeta }>): Promise<ListedObjects<T>> {
    const items: T[] = [];
    let next: string | undefined;
    let resourceVersion = "";
    do {
      const answer = await this.call(action, () => page(next));
      items.push(...answer.items);
      resourceVersion = answer.metadata?.resourceVersion ?? resourceVersion;
      next = answer.metadata?._continue || undefined;
    } while (next);
    return { items, resourceVersion };
  }

  /**
   * Deletes a Job and, with Foreground propagation, its pods before it. Resolves to false when it was
   * already gone.
   */
  async deleteJob(namespace: string, name: string, propagationPolicy: PropagationPolicy = "Foreground"): Promise<boolean> {
    try {
      await this.call(`deleting Job ${name} in namespace ${namespace}`, () => this.batch.deleteNamespacedJob({ name, namespace, propagationPolicy }));
      return true;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.statusCode === 404) return false;
      throw error;
    }
  }

  /** Every pod matching `labelSelector`. */
  async listPods(namespace: string, labelSelector: string, pageSize = 100): Promise<V1Pod[]> {
    return (await this.#listPodsAt(namespace, labelSelector, pageSize)).items;
  }

  #listPodsAt(namespace: string, labelSelector: string, pageSize: number): Promise<ListedObjects<V1Pod>> {
    return this.#pages(`listing pods (${labelSelector}) in namespace ${namespace}`, (next) =>
      this.core.listNamespacedPod({ namespace, labelSelector, limit: pageSize, _continue: next }),
    );
  }

  /** What an informer of the Jobs carrying the label `labelSelector` in `namespace` lists and watches. */
  jobsSource(namespace: string, labelSelector: string, pageSize = 100): InformerSource<V1Job> {
    return this.#source(
      `Jobs (${labelSelector}) in namespace ${namespace}`,
      `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`,
      { labelSelector },
      () => this.#listJobsAt(namespace, labelSelector, pageSize),
    );
  }

  /** What an informer of the pods carrying the label `labelSelector` in `namespace` lists and watches. */
  podsSource(namespace: string, labelSelector: string, pageSize = 100): InformerSource<V1Pod> {
    return this.#source(
      `pods (${labelSelector}) in namespace ${namespace}`,
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
      { labelSelector },
      () => this.#listPodsAt(namespace, labelSelector, pageSize),
    );
  }

  /**
   * What an informer of the events about objects of one kind (e.g. every pod's) in `namespace` lists and
   * watches. Events carry no labels: the field selector `involvedObject.kind` is the narrowest selection
   * one watch can make for many objects.
   */
  eventsSource(namespace: string, involvedKind: string, pageSize = 500): InformerSource<CoreV1Event> {
    const fieldSelector = `involvedObject.kind=${involvedKind}`;
    const description = `events (${fieldSelector}) in namespace ${namespace}`;
    return this.#source(description, `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, { fieldSelector }, () =>
      this.#pages(`listing ${description}`, (next) => this.core.listNamespacedEvent({ namespace, fieldSelector, limit: pageSize, _continue: next })),
    );
  }

  #source<T>(
    description: string,
    path: string,
    selector: { labelSelector: string } | { fieldSelector: string },
    list: () => Promise<ListedObjects<T>>,
  ): InformerSource<T> {
    const action = `watching ${description}`;
    return {
      description,
      list,
      watch: async (query, onEvent, onEnd) => {
        // The client's Watch reports a refused watch (403, 404, ...) as an Error with a statusCode only.
        const toError = (error: unknown): unknown => {
          if (error === null || error === undefined) return error;
          const statusCode = (error as { statusCode?: unknown }).statusCode;
          if (typeof statusCode === "number" && statusCode !== 410) return kubernetesError(action, { code: statusCode, cause: error }, this.server);
          if ((error as { name?: unknown }).name === "AbortError" || statusCode === 410) return error;
          return kubernetesError(action, error, this.server);
        };
        const controller = await this.watcher.watch(
          path,
          { ...selector, ...query },
          (type: string, object: unknown) => onEvent(type, object),
          (error: unknown) => onEnd(toError(error)),
        );
        return { abort: () => controller.abort() };
      },
    };
  }
}
