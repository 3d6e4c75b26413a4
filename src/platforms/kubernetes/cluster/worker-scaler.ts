/**
 * The loop that keeps a run's worker pods at what the scaling policy wants: every `intervalMs` it lists
 * the run's worker pods, reads the queue, and creates or deletes pods through the Kubernetes API.
 *
 * It also watches the workers' health. The cluster has failed (and `failure` resolves with the reason,
 * which fails the run's waiting tasks) when a worker pod cannot start (bad image, missing Secret),
 * `maxWorkerFailures` worker pods have ended (crashed, evicted, OOM-killed), no worker came alive within
 * `workerStartTimeoutMs` while tasks waited, or Kubernetes refuses the scheduler (Forbidden, Invalid).
 */
import { SluiceError } from "../../../core/errors.js";
import { KubernetesApiError } from "../api-error.js";
import type { ClusterApi } from "./cluster-api.js";
import { clusterSelector } from "./cluster-names.js";
import { createdAtOf, podVerdict } from "./pod-health.js";
import type { PodManifest } from "./pod-spec.js";
import type { ClusterLoad } from "./queue-load.js";
import { planScaling, type ScalingMemory, type ScalingSettings, type WorkerPodView } from "./scaling-policy.js";

/** Where the cluster's messages go (see the environment's schedulerLogs and logK8sErrors). */
export interface ClusterLog {
  /** The scheduler's own messages: scaling decisions, pods created and removed. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** A Kubernetes error the cluster recovered from (an API error, a worker pod that ended and is replaced). */
  k8sError(message: string, error: unknown): void;
  /** Why the cluster failed: always on the run. */
  error(message: string, error?: unknown): void;
}

export interface WorkerScalerOptions {
  api: ClusterApi;
  namespace: string;
  flowRunId: string;
  settings: ScalingSettings;
  /** Time between two looks, in ms. */
  intervalMs: number;
  /** Worker pods that may end before the cluster fails. */
  maxWorkerFailures: number;
  /** How long tasks may wait with no live worker before the cluster fails, in ms. */
  workerStartTimeoutMs: number;
  /** A new worker pod manifest. */
  buildPod: () => PodManifest;
  readLoad: () => Promise<ClusterLoad>;
  log: ClusterLog;
  /** @default Date.now */
  now?: () => number;
}

/** Consecutive failed looks (API or broker errors) before the cluster fails. */
const MAX_FAILED_LOOKS = 10;
/** Kubernetes answers that retrying will not fix. */
const FATAL_STATUS = new Set([401, 403, 404, 422]);

const isLive = (pod: string, live: readonly string[]): boolean => live.some((id) => id === pod || id.startsWith(`${pod}-`));

export class WorkerScaler {
  /** Resolves with the reason once the cluster cannot run the run's tasks any more. */
  readonly failure: Promise<SluiceError>;
  /** Most worker pods that existed at once. */
  peak = 0;
  readonly #o: WorkerScalerOptions;
  readonly #now: () => number;
  #resolveFailure!: (error: SluiceError) => void;
  #failed: SluiceError | undefined;
  #memory: ScalingMemory = { lowSince: null };
  #endedPods = new Set<string>();
  #failedLooks = 0;
  #starvedSince: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #looking: Promise<void> | undefined;
  #stopped = false;

  constructor(options: WorkerScalerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.failure = new Promise((resolve) => {
      this.#resolveFailure = resolve;
    });
  }

  /** The reason the cluster failed, if it did. */
  get failed(): SluiceError | undefined {
    return this.#failed;
  }

  /** Creates the first `minWorkers` pods (an API error is thrown: the run cannot start), then looks every interval. */
  async start(): Promise<void> {
    await this.#create(this.#o.settings.minWorkers);
    this.peak = this.#o.settings.minWorkers;
    this.#schedule();
  }

  /** Stops looking (waits for a look in progress). Pods are left to the caller's cleanup. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#looking;
  }

  #schedule(): void {
    if (this.#stopped || this.#failed) return;
    this.#timer = setTimeout(() => {
      this.#looking = this.look().finally(() => this.#schedule());
    }, this.#o.intervalMs);
  }

  #fail(error: SluiceError): void {
    if (this.#failed) return;
    this.#failed = error;
    this.#o.log.error(`the worker cluster failed: ${error.message}`, error);
    this.#resolveFailure(error);
  }

  async #create(count: number): Promise<void> {
    const { api, namespace } = this.#o;
    for (let i = 0; i < count; i++) {
      const pod = await api.createPod(namespace, this.#o.buildPod());
      this.#o.log.info(`created worker pod ${pod.metadata?.name ?? "?"}`, { pod: pod.metadata?.name });
    }
  }

  async #ended(name: string, reason: string): Promise<void> {
    const { api, namespace } = this.#o;
    if (this.#endedPods.has(name)) return;
    this.#endedPods.add(name);
    const tail = (await api.readPodLog(namespace, name, undefined, 20).catch(() => "")).trim().split("\n").slice(-5).join(" | ");
    const text = `${reason}${tail ? `; its last log lines: ${tail}` : ""}`;
    this.#o.log.k8sError(`worker ${text}`, new SluiceError("ENVIRONMENT_ERROR", text, { flowRunId: this.#o.flowRunId, kind: "kubernetes-cluster" }));
    await api
      .deletePod(namespace, name)
      .catch((error: unknown) => this.#o.log.k8sError(`could not remove ended worker pod ${name}: ${(error as Error).message}`, error));
    if (this.#endedPods.size >= this.#o.maxWorkerFailures) {
      this.#fail(
        new SluiceError("ENVIRONMENT_ERROR", `${this.#endedPods.size} worker pods ended before the flow run did; the last: ${text}`, {
          flowRunId: this.#o.flowRunId,
          kind: "kubernetes-cluster",
        }),
      );
    }
  }

  /** One look: health, load, then pods created or removed. Never throws. */
  async look(): Promise<void> {
    if (this.#failed) return;
    const { api, namespace, flowRunId, settings } = this.#o;
    try {
      const pods = await api.listPods(namespace, clusterSelector(flowRunId, "worker"));
      const load = await this.#o.readLoad();
      const views: WorkerPodView[] = [];
      for (const pod of pods) {
        const name = pod.metadata?.name ?? "";
        const verdict = podVerdict(pod);
        if (verdict.kind === "cannot-start") {
          return this.#fail(new SluiceError("ENVIRONMENT_ERROR", `a worker pod cannot start: ${verdict.reason}`, { flowRunId, kind: "kubernetes-cluster" }));
        }
        if (verdict.kind === "ended") await this.#ended(name, verdict.reason);
        if (verdict.kind !== "ok" || this.#failed) continue;
        views.push({ name, createdAt: createdAtOf(pod), live: isLive(name, load.liveWorkers), busy: isLive(name, load.busyWorkers) });
      }
      if (this.#failed) return;
      this.#failedLooks = 0;
      const now = this.#now();
      const starving = load.waiting > 0 && !views.some((v) => v.live);
      this.#starvedSince = starving ? (this.#starvedSince ?? now) : null;
      if (this.#starvedSince !== null && now - this.#starvedSince >= this.#o.workerStartTimeoutMs) {
        const states = views.map((v) => v.name).join(", ") || "none";
        return this.#fail(
          new SluiceError(
            "ENVIRONMENT_ERROR",
            `no worker came alive within ${this.#o.workerStartTimeoutMs} ms while ${load.waiting} task attempt(s) waited (worker pods: ${states}); check that the pods get scheduled and can reach the broker`,
            { flowRunId, kind: "kubernetes-cluster" },
          ),
        );
      }
      const plan = planScaling(load, views, settings, this.#memory, now);
      this.#memory = plan.memory;
      if (plan.create > 0 || plan.remove.length > 0) {
        this.#o.log.info(`scaling workers ${views.length} → ${plan.desired} (${load.waiting} waiting, ${load.active} running)`, {
          waiting: load.waiting,
          active: load.active,
          workers: views.length,
          desired: plan.desired,
        });
      }
      await this.#create(plan.create);
      for (const name of plan.remove) {
        await api.deletePod(namespace, name);
        this.#o.log.info(`removed idle worker pod ${name}`, { pod: name });
      }
      this.peak = Math.max(this.peak, views.length + plan.create);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof KubernetesApiError && error.statusCode !== undefined && FATAL_STATUS.has(error.statusCode)) {
        return this.#fail(
          new SluiceError("ENVIRONMENT_ERROR", `the scheduler cannot manage its workers: ${message}`, { flowRunId, kind: "kubernetes-cluster", cause: error }),
        );
      }
      this.#o.log.k8sError(`managing the workers failed (will retry): ${message}`, error);
      if (++this.#failedLooks >= MAX_FAILED_LOOKS) {
        this.#fail(
          new SluiceError("ENVIRONMENT_ERROR", `managing the workers failed ${MAX_FAILED_LOOKS} times in a row; the last error: ${message}`, {
            flowRunId,
            kind: "kubernetes-cluster",
            cause: error,
          }),
        );
      }
    }
  }
}
