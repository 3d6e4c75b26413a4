/**
 * The Job controller: creates a Job's pods from its template, counts succeeded and failed pods (a pod
 * deleted or evicted before succeeding counts as failed, as with pod-tracking finalizers), retries
 * with exponential back-off up to `backoffLimit`, enforces `activeDeadlineSeconds`, marks the Job
 * Complete or Failed with the real reasons, and deletes finished Jobs after `ttlSecondsAfterFinished`.
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

interface JobMemory {
  counted: Set<string>;
  seen: Set<string>;
  lastFailureAt?: number;
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

  constructor(private readonly api: ApiCore, private readonly events: EventRecorder, private readonly timings: JobControllerTimings) {}

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
    if (!m) this.memory.set(job.metadata.uid!, m = { counted: new Set(), seen: new Set(), timers: [] });
    return m;
  }

  private ownedPods(job: KubeObject): KubeObject[] {
    const selector = labelSelectorFromObject(job.spec.selector);
    return this.api.store.list("pods", job.metadata.namespace).filter((p) =>
      p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid && r.controller) && selector(p.metadata.labels));
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
    for (const p of pods) {
      const uid = p.metadata.uid!;
      m.seen.add(uid);
      if (m.counted.has(uid)) continue;
      if (p.status?.phase === "Succeeded") {
        m.counted.add(uid);
        status.succeeded += 1;
      } else if (p.status?.phase === "Failed" || p.metadata.deletionTimestamp) {
        m.counted.add(uid);
        status.failed += 1;
        m.lastFailureAt = Date.now();
      }
    }
    for (const uid of m.seen) {
      if (!present.has(uid) && !m.counted.has(uid)) {
        m.counted.add(uid);
        status.failed += 1;
        m.lastFailureAt = Date.now();
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
    const restarts = spec.template.spec.restartPolicy === "OnFailure"
      ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((k: number, c: { restartCount?: number }) => k + (c.restartCount ?? 0), 0), 0)
      : 0;
    const deadline = spec.activeDeadlineSeconds;
    const startedAt = status.startTime ? Date.parse(status.startTime) : now;
    let failure: { reason: string; message: string } | undefined;
    if (status.failed + restarts > spec.backoffLimit) {
      failure = { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
    } else if (typeof deadline === "number" && now - startedAt >= deadline * 1000) {
      failure = { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
    }
    const completions = spec.completions;
    const complete = !failure && (completions !== null && completions !== undefined
      ? status.succeeded >= completions
      : status.succeeded > 0 && active.length === 0);
    if (failure || complete) {
      const at = timestamp();
      const cond = failure
        ? { type: "Failed", status: "True", lastProbeTime: at, lastTransitionTime: at, reason: failure.reason, message: failure.message }
        : { type: "Complete", status: "True", lastProbeTime: at, lastTransitionTime: at, reason: "CompletionsReached", message: "Reached expected number of succeeded pods" };
      status.conditions = [...(status.conditions ?? []), cond];
      if (complete) status.completionTime = at;
      if (failure) this.events.record(job, "Warning", failure.reason, failure.message, "job-controller");
      else this.events.record(job, "Normal", "Completed", "Job completed", "job-controller");
      this.deletePods(active);
      this.writeStatus(job, { ...status, active: 0, ready: 0 });
      this.scheduleTtl(job);
      return;
    }
    if (typeof deadline === "number") this.enqueue(namespace, name, Math.max(1, startedAt + deadline * 1000 - now));
    const remaining = completions === null || completions === undefined
      ? (status.succeeded > 0 ? 0 : spec.parallelism)
      : Math.min(spec.parallelism, completions - status.succeeded);
    const want = spec.suspend ? 0 : Math.max(0, remaining);
    if (active.length > want) {
      this.deletePods(active.slice(want));
      active = active.slice(0, want);
    } else if (active.length < want) {
      const wait = this.backoffRemaining(status.failed, m, now);
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

  private backoffRemaining(failed: number, m: JobMemory, now: number): number {
    if (failed === 0 || m.lastFailureAt === undefined) return 0;
    const delay = Math.min(this.timings.jobBackoffMs * 2 ** (failed - 1), this.timings.jobBackoffMaxMs);
    return m.lastFailureAt + delay - now;
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
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(t.spec),
    };
    try {
      const created = this.api.create("pods", job.metadata.namespace!, pod);
      this.events.record(job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`, "job-controller");
    } catch (e) {
      const message = e instanceof StatusError ? e.message : String(e);
      this.events.record(job, "Warning", "FailedCreate", `Error creating: ${message}`, "job-controller");
      this.enqueue(job.metadata.namespace!, job.metadata.name!, this.timings.jobBackoffMs);
    }
  }

  private writeStatus(job: KubeObject, status: Record<string, unknown>): void {
    for (const k of ["active", "ready", "terminating"]) if (status[k] === 0 && job.status?.[k] === undefined && k !== "ready") delete status[k];
    this.api.modify("jobs", job.metadata.namespace!, job.metadata.name!, (o) => { o.status = status; });
  }

  private scheduleTtl(job: KubeObject): void {
    const ttl = job.spec.ttlSecondsAfterFinished;
    const m = this.mem(job);
    if (typeof ttl !== "number" || m.ttlScheduled) return;
    m.ttlScheduled = true;
    const t = setTimeout(() => {
      try {
        this.api.delete("jobs", job.metadata.namespace!, job.metadata.name!, { propagationPolicy: "Background", preconditions: { uid: job.metadata.uid } });
      } catch {
        // Deleted already.
      }
    }, ttl * 1000);
    m.timers.push(t);
  }
}
