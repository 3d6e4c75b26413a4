/**
 * The Job controller: creates a Job's pods from its template, counts succeeded and failed pods (a pod
 * deleted or evicted before succeeding counts as failed, as with pod-tracking finalizers), applies the
 * `podFailurePolicy` (FailJob, Ignore, Count), replaces a failed pod after Kubernetes' exponential
 * back-off (10 s doubling to 6 min, scaled by the stand-in's time scale) up to `backoffLimit`, enforces
 * `activeDeadlineSeconds`, marks the Job Complete or Failed with the real reasons, and deletes finished
 * Jobs after `ttlSecondsAfterFinished`.
 */
import type { ApiCore } from "../apiCore.js";
import type { EventRecorder } from "../events.js";
import { labelSelectorFromObject } from "../selectors.js";
import { StatusError } from "../status.js";
import type { Change } from "../store.js";
import { timestamp, type KubeObject } from "../util.js";

export interface JobControllerTimings {
  /** Delay before re-creating a pod after the first failure; doubles per failure. Kubernetes: 10 s. */
  jobBackoffMs: number;
  /** Cap of that delay. Kubernetes: 6 min. */
  jobBackoffMaxMs: number;
}

/** Kubernetes' own pod-replacement back-off. */
export const realJobBackoff: JobControllerTimings = { jobBackoffMs: 10_000, jobBackoffMaxMs: 360_000 };

/**
 * How long the controller waits before replacing a pod after `failures` consecutive failures:
 * `jobBackoffMs * 2^(failures-1)`, capped at `jobBackoffMaxMs`, times `timeScale`; 0 before any failure.
 */
export function jobBackoffDelayMs(failures: number, timings: JobControllerTimings, timeScale = 1): number {
  if (failures <= 0) return 0;
  const delay = Math.min(timings.jobBackoffMs * 2 ** Math.min(failures - 1, 30), timings.jobBackoffMaxMs);
  return delay * timeScale;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The first rule of a pod failure policy that matches a failed pod, with the message Kubernetes gives it. */
export function matchPodFailurePolicy(policy: Json, pod: KubeObject): { action: string; message: string } | undefined {
  const rules: Json[] = Array.isArray(policy?.rules) ? policy.rules : [];
  const who = `${pod.metadata.namespace}/${pod.metadata.name}`;
  for (const [i, rule] of rules.entries()) {
    const exit = rule.onExitCodes;
    if (exit) {
      const statuses: Json[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
      for (const cs of statuses) {
        const code = cs.state?.terminated?.exitCode;
        if (typeof code !== "number" || code === 0) continue;
        if (exit.containerName && exit.containerName !== cs.name) continue;
        const listed = (exit.values ?? []).includes(code);
        if (exit.operator === "In" ? listed : !listed) {
          return {
            action: rule.action,
            message: `Container ${cs.name} for pod ${who} failed with exit code ${code} matching ${rule.action} rule at index ${i}`,
          };
        }
      }
      continue;
    }
    for (const want of rule.onPodConditions ?? []) {
      const status = want.status ?? "True";
      if ((pod.status?.conditions ?? []).some((c: Json) => c.type === want.type && c.status === status)) {
        return { action: rule.action, message: `Pod ${who} has condition ${want.type} matching ${rule.action} rule at index ${i}` };
      }
    }
  }
  return undefined;
}

interface JobMemory {
  counted: Set<string>;
  seen: Set<string>;
  lastFailureAt?: number;
  /** Failures since the last success, for the back-off (pods the policy ignores are not among them). */
  consecutiveFailures: number;
  /** Set when a pod failure policy rule with FailJob matched. */
  policyFailure?: string;
  ttlScheduled?: boolean;
  timers: NodeJS.Timeout[];
}

const isTerminal = (p: KubeObject) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

function finished(job: KubeObject): boolean {
  return (job.status?.conditions ?? []).some((c: { type: string; status: string }) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

export class JobController {
  private readonly memory = new Map<string, JobMemory>();
  private readonly queued = new Set<string>();
  private unsubscribe = () => {};
  private closed = false;

  constructor(
    private readonly api: ApiCore,
    private readonly events: EventRecorder,
    private readonly timings: JobControllerTimings,
    private readonly timeScale = 1,
  ) {}

  start(): void {
    this.unsubscribe = this.api.store.subscribe((c) => this.onChange(c));
  }

  stop(): void {
    this.closed = true;
    this.unsubscribe();
    for (const m of this.memory.values()) for (const t of m.timers) clearTimeout(t);
  }

  private onChange(c: Change): void {
    if (c.resource === "jobs") {
      if (c.type === "DELETED") this.forget(c.object.metadata.uid!);
      else this.enqueue(c.namespace, c.object.metadata.name!);
    } else if (c.resource === "pods") {
      const owner = (c.previous ?? c.object).metadata.ownerReferences?.find((r) => r.controller && r.kind === "Job");
      if (owner) this.enqueue(c.namespace, owner.name);
    }
  }

  private forget(uid: string): void {
    const m = this.memory.get(uid);
    if (m) for (const t of m.timers) clearTimeout(t);
    this.memory.delete(uid);
  }

  private enqueue(namespace: string, name: string, afterMs = 0): void {
    if (this.closed) return;
    const key = `${namespace}/${name}`;
    if (afterMs > 0) {
      const job = this.api.store.get("jobs", namespace, name);
      if (!job) return;
      const t = setTimeout(() => this.enqueue(namespace, name), afterMs);
      this.mem(job).timers.push(t);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    setImmediate(() => {
      this.queued.delete(key);
      if (this.closed) return;
      try {
        this.reconcile(namespace, name);
      } catch (e) {
        console.error(`kube stand-in: job controller failed on ${key}:`, e);
      }
    });
  }

  private mem(job: KubeObject): JobMemory {
    let m = this.memory.get(job.metadata.uid!);
    if (!m) this.memory.set(job.metadata.uid!, (m = { counted: new Set(), seen: new Set(), timers: [], consecutiveFailures: 0 }));
    return m;
  }

  private ownedPods(job: KubeObject): KubeObject[] {
    const selector = labelSelectorFromObject(job.spec.selector);
    return this.api.store
      .list("pods", job.metadata.namespace)
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid && r.controller) && selector(p.metadata.labels));
  }

  private deletePods(pods: KubeObject[]): void {
    for (const p of pods) {
      try {
        this.api.delete("pods", p.metadata.namespace!, p.metadata.name!, { propagationPolicy: "Background" });
      } catch {
        // Already gone.
      }
    }
  }

  private reconcile(namespace: string, name: string): void {
    const job = this.api.store.get("jobs", namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const m = this.mem(job);
    const spec = job.spec;
    const status = { ...(job.status ?? {}) };
    status.succeeded ??= 0;
    status.failed ??= 0;
    const pods = this.ownedPods(job);
    const present = new Set(pods.map((p) => p.metadata.uid!));
    const policy = spec.podFailurePolicy;
    const countFailure = () => {
      status.failed += 1;
      m.consecutiveFailures += 1;
      m.lastFailureAt = Date.now();
    };
    for (const p of pods) {
      const uid = p.metadata.uid!;
      m.seen.add(uid);
      if (m.counted.has(uid)) continue;
      if (p.status?.phase === "Succeeded") {
        m.counted.add(uid);
        status.succeeded += 1;
        m.consecutiveFailures = 0;
      } else if (p.status?.phase === "Failed") {
        m.counted.add(uid);
        const match = policy ? matchPodFailurePolicy(policy, p) : undefined;
        if (match?.action === "Ignore") {
          this.events.record(job, "Normal", "PodFailurePolicy", match.message, "job-controller");
          continue;
        }
        countFailure();
        if (match?.action === "FailJob" && !m.policyFailure) m.policyFailure = match.message;
      } else if (p.metadata.deletionTimestamp && !policy) {
        // Without a pod failure policy a terminating pod counts at once; with one, when it is terminal.
        m.counted.add(uid);
        countFailure();
      }
    }
    for (const uid of m.seen) {
      if (!present.has(uid) && !m.counted.has(uid)) {
        m.counted.add(uid);
        countFailure();
      }
    }
    let active = pods.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    const now = Date.now();
    if (finished(job)) {
      this.deletePods(active);
      this.writeStatus(job, { ...status, active: 0, ready: 0, terminating: pods.filter((p) => p.metadata.deletionTimestamp && !isTerminal(p)).length });
      this.scheduleTtl(job);
      return;
    }
    if (!status.startTime && !spec.suspend) status.startTime = timestamp(now);
    const restarts =
      spec.template.spec.restartPolicy === "OnFailure"
        ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((k: number, c: { restartCount?: number }) => k + (c.restartCount ?? 0), 0), 0)
        : 0;
    const deadline = spec.activeDeadlineSeconds;
    const startedAt = status.startTime ? Date.parse(status.startTime) : now;
    let failure: { reason: string; message: string } | undefined;
    if (m.policyFailure) {
      failure = { reason: "PodFailurePolicy", message: m.policyFailure };
    } else if (status.failed + restarts > spec.backoffLimit) {
      failure = { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
    } else if (typeof deadline === "number" && now - startedAt >= deadline * 1000) {
      failure = { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
    }
    const completions = spec.completions;
    const complete =
      !failure && (completions !== null && completions !== undefined ? status.succeeded >= completions : status.succeeded > 0 && active.length === 0);
    if (failure || complete) {
      const at = timestamp();
      const cond = failure
        ? { type: "Failed", status: "True", lastProbeTime: at, lastTransitionTime: at, reason: failure.reason, message: failure.message }
        : {
            type: "Complete",
            status: "True",
            lastProbeTime: at,
            lastTransitionTime: at,
            reason: "CompletionsReached",
            message: "Reached expected number of succeeded pods",
          };
      // A FailJob rule first marks the Job as a failure target (Kubernetes then stops its pods).
      const target = failure?.reason === "PodFailurePolicy" ? [{ ...cond, type: "FailureTarget" }] : [];
      status.conditions = [...(status.conditions ?? []), ...target, cond];
      if (complete) status.completionTime = at;
      if (failure) this.events.record(job, "Warning", failure.reason, failure.message, "job-controller");
      else this.events.record(job, "Normal", "Completed", "Job completed", "job-controller");
      this.deletePods(active);
      this.writeStatus(job, { ...status, active: 0, ready: 0 });
      this.scheduleTtl(job);
      return;
    }
    if (typeof deadline === "number") this.enqueue(namespace, name, Math.max(1, startedAt + deadline * 1000 - now));
    const remaining =
      completions === null || completions === undefined
        ? status.succeeded > 0
          ? 0
          : spec.parallelism
        : Math.min(spec.parallelism, completions - status.succeeded);
    const want = spec.suspend ? 0 : Math.max(0, remaining);
    if (active.length > want) {
      this.deletePods(active.slice(want));
      active = active.slice(0, want);
    } else if (active.length < want) {
      const wait = this.backoffRemaining(m, now);
      if (wait > 0) this.enqueue(namespace, name, wait);
      else for (let i = active.length; i < want; i++) this.createPod(job);
    }
    const all = this.ownedPods(job);
    this.writeStatus(job, {
      ...status,
      active: all.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp).length,
      ready: all.filter((p) => p.status?.conditions?.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True")).length,
      terminating: all.filter((p) => p.metadata.deletionTimestamp && !isTerminal(p)).length,
      uncountedTerminatedPods: {},
    });
  }

  private backoffRemaining(m: JobMemory, now: number): number {
    if (m.lastFailureAt === undefined) return 0;
    return m.lastFailureAt + jobBackoffDelayMs(m.consecutiveFailures, this.timings, this.timeScale) - now;
  }

  private createPod(job: KubeObject): void {
    const t = job.spec.template;
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: `${job.metadata.name}-`,
        namespace: job.metadata.namespace,
        labels: { ...(t.metadata?.labels ?? {}) },
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true },
        ],
      },
      spec: structuredClone(t.spec),
    };
    try {
      const created = this.api.create("pods", job.metadata.namespace!, pod);
      this.events.record(job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`, "job-controller");
    } catch (e) {
      const message = e instanceof StatusError ? e.message : String(e);
      this.events.record(job, "Warning", "FailedCreate", `Error creating: ${message}`, "job-controller");
      this.enqueue(job.metadata.namespace!, job.metadata.name!, jobBackoffDelayMs(1, this.timings, this.timeScale));
    }
  }

  private writeStatus(job: KubeObject, status: Record<string, unknown>): void {
    for (const k of ["active", "ready", "terminating"]) if (status[k] === 0 && job.status?.[k] === undefined && k !== "ready") delete status[k];
    this.api.modify("jobs", job.metadata.namespace!, job.metadata.name!, (o) => {
      o.status = status;
    });
  }

  private scheduleTtl(job: KubeObject): void {
    const ttl = job.spec.ttlSecondsAfterFinished;
    const m = this.mem(job);
    if (typeof ttl !== "number" || m.ttlScheduled) return;
    m.ttlScheduled = true;
    const t = setTimeout(() => {
      try {
        // The TTL controller deletes with Foreground propagation: pods first, then the Job.
        this.api.delete("jobs", job.metadata.namespace!, job.metadata.name!, { propagationPolicy: "Foreground", preconditions: { uid: job.metadata.uid } });
      } catch {
        // Deleted already.
      }
    }, ttl * 1000);
    m.timers.push(t);
  }
}
