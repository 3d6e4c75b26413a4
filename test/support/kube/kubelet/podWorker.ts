/**
 * One pod's life on the stand-in's node: scheduling, image checks (ErrImagePull → ImagePullBackOff),
 * env resolution (CreateContainerConfigError), init containers, containers run by the runner, restarts
 * under OnFailure/Always (CrashLoopBackOff), OOM kills, eviction, the pod deadline and graceful stop.
 * Every change is written to the pod's status, and events are recorded as the kubelet records them.
 */
import type { ApiCore } from "../apiCore.js";
import type { EventRecorder, EventType } from "../events.js";
import type { ContainerRunner, RunSpec, StartedContainer } from "../runners/types.js";
import { sleep, timestamp, type KubeObject } from "../util.js";
import { parseQuantity } from "../validation/names.js";
import { expandVars, resolveEnv } from "./containerEnv.js";
import { LogBuffer } from "./logs.js";
import { ConditionClock, podStatus, type ContainerView, type PodView } from "./podStatus.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface KubeletTimings {
  scheduleDelayMs: number;
  imagePullBackoffMs: number;
  imagePullBackoffMaxMs: number;
  crashLoopBackoffMs: number;
  crashLoopBackoffMaxMs: number;
  configErrorRetryMs: number;
  maxGracePeriodMs: number;
}

export interface KubeletContext {
  api: ApiCore;
  events: EventRecorder;
  runner: ContainerRunner;
  timings: KubeletTimings;
  nodeName: string;
  kubeconfigPath: string;
}

/** Annotation: OOM-kill the first container this many milliseconds after it starts. */
export const oomAfterAnnotation = "kube-standin/oom-kill-after-ms";

export interface ContainerRecord extends ContainerView {
  spec: Json;
  fieldPath: string;
  logs: LogBuffer;
  previousLogs?: LogBuffer;
  handle?: StartedContainer;
  forcedReason?: "OOMKilled";
}

function record(spec: Json, fieldPath: string): ContainerRecord {
  return {
    name: spec.name,
    image: spec.image,
    spec,
    fieldPath,
    imageId: "",
    state: { waiting: { reason: fieldPath.startsWith("spec.initContainers") ? "PodInitializing" : "ContainerCreating" } },
    lastState: {},
    restartCount: 0,
    everStarted: false,
    final: false,
    logs: new LogBuffer(),
  };
}

export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly init: ContainerRecord[];
  readonly containers: ContainerRecord[];
  /** Set once the pod is gone from the store: no more status writes. */
  removed = false;
  readonly done: Promise<void>;
  private pod: KubeObject;
  private readonly clock = new ConditionClock();
  private readonly abort = new AbortController();
  private stopping = false;
  private failure?: { reason: string; message: string };
  private scheduled = false;
  private initialized = false;
  private startTime?: string;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: KubeletContext,
    pod: KubeObject,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid!;
    this.namespace = pod.metadata.namespace!;
    this.name = pod.metadata.name!;
    this.init = ((pod.spec.initContainers ?? []) as Json[]).map((c) => record(c, `spec.initContainers{${c.name}}`));
    this.containers = ((pod.spec.containers ?? []) as Json[]).map((c) => record(c, `spec.containers{${c.name}}`));
    if (this.init.length) for (const c of this.containers) c.state = { waiting: { reason: "PodInitializing" } };
    this.initialized = this.init.length === 0;
    this.done = this.run().catch((e: unknown) => console.error(`kube stand-in: pod ${this.namespace}/${this.name} worker failed:`, e));
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  observe(pod: KubeObject): void {
    this.pod = pod;
  }

  private event(type: EventType, reason: string, message: string, fieldPath?: string): void {
    if (!this.removed) this.ctx.events.record(this.pod, type, reason, message, "kubelet", fieldPath);
  }

  private publish(): void {
    if (this.removed) return;
    const view: PodView = {
      init: this.init,
      containers: this.containers,
      scheduled: this.scheduled,
      initialized: this.initialized,
      startTime: this.startTime,
      failure: this.failure,
      qosClass: this.pod.status?.qosClass,
    };
    const status = podStatus(view, this.clock);
    this.ctx.api.modify("pods", this.namespace, this.name, (o) => {
      o.status = status;
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async run(): Promise<void> {
    const { api, timings, nodeName } = this.ctx;
    await sleep(timings.scheduleDelayMs, this.abort.signal);
    if (this.stopping) return this.finish();
    const bound = api.modify("pods", this.namespace, this.name, (o) => {
      o.spec.nodeName = nodeName;
    });
    if (!bound) return;
    this.pod = bound;
    this.scheduled = true;
    this.ctx.events.record(this.pod, "Normal", "Scheduled", `Successfully assigned ${this.namespace}/${this.name} to ${nodeName}`, "default-scheduler");
    this.startTime = timestamp();
    this.publish();
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (typeof deadline === "number") {
      this.later(deadline * 1000, () => {
        this.event("Normal", "DeadlineExceeded", "Pod was active on the node longer than the specified deadline");
        void this.stop({ failure: { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" } });
      });
    }
    for (const c of this.init) {
      await this.runContainer(c);
      if (this.stopping || !c.final || !("terminated" in c.state) || c.state.terminated.exitCode !== 0) return this.finish();
    }
    this.initialized = true;
    this.publish();
    await Promise.all(this.containers.map((c) => this.runContainer(c)));
    this.finish();
  }

  private finish(): void {
    for (const c of [...this.init, ...this.containers]) {
      c.final = true;
      c.logs.end();
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.publish();
  }

  private async pullImage(c: ContainerRecord): Promise<boolean> {
    const { runner, timings } = this.ctx;
    const policy = c.spec.imagePullPolicy ?? "IfNotPresent";
    let backoff = timings.imagePullBackoffMs;
    while (!this.stopping) {
      const check = await runner.checkImage(c.image, policy);
      if (this.stopping) return false;
      if (check.ok) {
        if (check.pulled) {
          this.event("Normal", "Pulling", `Pulling image "${c.image}"`, c.fieldPath);
          this.event("Normal", "Pulled", `Successfully pulled image "${c.image}" in 12ms (12ms including waiting)`, c.fieldPath);
        } else {
          this.event("Normal", "Pulled", `Container image "${c.image}" already present on machine`, c.fieldPath);
        }
        return true;
      }
      const error = check.message;
      this.event("Normal", "Pulling", `Pulling image "${c.image}"`, c.fieldPath);
      const neverPull = policy === "Never";
      const reason = neverPull ? "ErrImageNeverPull" : "ErrImagePull";
      this.event("Warning", "Failed", neverPull ? error : `Failed to pull image "${c.image}": ${error}`, c.fieldPath);
      this.event("Warning", "Failed", `Error: ${reason}`, c.fieldPath);
      c.state = { waiting: { reason, message: error } };
      this.publish();
      await sleep(backoff, this.abort.signal);
      if (this.stopping) return false;
      if (!neverPull) {
        c.state = { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${c.image}"` } };
        this.event("Normal", "BackOff", `Back-off pulling image "${c.image}"`, c.fieldPath);
        this.event("Warning", "Failed", "Error: ImagePullBackOff", c.fieldPath);
        this.publish();
        await sleep(backoff, this.abort.signal);
      }
      backoff = Math.min(backoff * 2, timings.imagePullBackoffMaxMs);
    }
    return false;
  }

  private async waitForEnv(c: ContainerRecord): Promise<[string, string][] | undefined> {
    while (!this.stopping) {
      const result = resolveEnv(this.ctx.api.store, this.pod, c.spec);
      if (result.ok) return result.env;
      c.state = { waiting: { reason: "CreateContainerConfigError", message: result.message } };
      this.event("Warning", "Failed", `Error: ${result.message}`, c.fieldPath);
      this.publish();
      await sleep(this.ctx.timings.configErrorRetryMs, this.abort.signal);
    }
    return undefined;
  }

  private runSpec(c: ContainerRecord, env: [string, string][]): RunSpec {
    const vars = new Map(env);
    const expand = (list: unknown) => (Array.isArray(list) ? list.map((s) => expandVars(String(s), vars)) : undefined);
    const limits = c.spec.resources?.limits ?? {};
    return {
      namespace: this.namespace,
      podName: this.name,
      podUid: this.uid,
      containerName: c.name,
      restartCount: c.restartCount,
      image: c.image,
      command: expand(c.spec.command),
      args: expand(c.spec.args),
      env,
      workingDir: c.spec.workingDir,
      memoryLimitBytes: parseQuantity(limits.memory),
      cpuLimit: parseQuantity(limits.cpu),
      kubeconfigPath: this.ctx.kubeconfigPath,
    };
  }

  private async runContainer(c: ContainerRecord): Promise<void> {
    const { timings } = this.ctx;
    const isInit = this.init.includes(c);
    const policy = this.pod.spec.restartPolicy ?? "Always";
    let backoff = timings.crashLoopBackoffMs;
    let pulled = false;
    while (!this.stopping) {
      if (!pulled && !(pulled = await this.pullImage(c))) break;
      const env = await this.waitForEnv(c);
      if (!env) break;
      if (c.logs.isEnded) c.logs = new LogBuffer();
      this.event("Normal", "Created", `Created container ${c.name}`, c.fieldPath);
      const handle = await this.ctx.runner.start(this.runSpec(c, env), (chunk) => c.logs.write(chunk));
      c.handle = handle;
      c.containerId = handle.containerId;
      c.imageId = handle.imageId;
      const startedAt = timestamp();
      const early = await Promise.race([handle.exited, sleep(0).then(() => undefined)]);
      if (early?.reason !== "StartError") {
        c.state = { running: { startedAt } };
        c.everStarted = true;
        this.event("Normal", "Started", `Started container ${c.name}`, c.fieldPath);
        this.publish();
        if (this.stopping) void handle.signal("SIGKILL");
        const oomAfter = Number(this.pod.metadata.annotations?.[oomAfterAnnotation]);
        if (!isInit && c === this.containers[0] && Number.isFinite(oomAfter) && oomAfter >= 0) {
          this.later(oomAfter, () => {
            void this.oomKill(c.name).catch(() => undefined);
          });
        }
      }
      const exit = await handle.exited;
      c.handle = undefined;
      c.logs.end();
      const forced = c.forcedReason;
      c.forcedReason = undefined;
      const exitCode = forced ? 137 : exit.exitCode;
      const reason = forced ?? exit.reason ?? (exitCode === 0 ? "Completed" : "Error");
      if (reason === "StartError") this.event("Warning", "Failed", `Error: ${exit.message ?? "failed to start container"}`, c.fieldPath);
      c.state = {
        terminated: {
          exitCode,
          reason,
          ...(exit.message ? { message: exit.message } : {}),
          startedAt,
          finishedAt: timestamp(),
          containerID: handle.containerId,
        },
      };
      const restart = !this.stopping && (isInit ? exitCode !== 0 && policy !== "Never" : policy === "Always" || (policy === "OnFailure" && exitCode !== 0));
      if (!restart) {
        c.final = true;
        this.publish();
        return;
      }
      c.lastState = c.state;
      c.restartCount += 1;
      // Until the next instance starts, both the current and the previous logs are this instance's.
      c.previousLogs = c.logs;
      const who = `${this.name}_${this.namespace}(${this.uid})`;
      c.state = {
        waiting: {
          reason: "CrashLoopBackOff",
          message: `back-off ${Math.max(1, Math.round(backoff / 1000))}s restarting failed container=${c.name} pod=${who}`,
        },
      };
      this.event("Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${who}`, c.fieldPath);
      this.publish();
      await sleep(backoff, this.abort.signal);
      backoff = Math.min(backoff * 2, timings.crashLoopBackoffMaxMs);
    }
    c.final = true;
  }

  /** Kills the named (default: first running) container as the kernel OOM killer would. */
  async oomKill(containerName?: string): Promise<void> {
    const c = containerName
      ? [...this.containers, ...this.init].find((x) => x.name === containerName)
      : (this.containers.find((x) => x.handle) ?? this.init.find((x) => x.handle));
    if (!c?.handle) {
      throw new Error(
        `kube stand-in: pod ${this.namespace}/${this.name} has no running container${containerName ? ` named ${containerName}` : ""} to OOM-kill`,
      );
    }
    c.forcedReason = "OOMKilled";
    await c.handle.signal("SIGKILL");
    await c.handle.exited;
  }

  /**
   * Stops the pod's containers: SIGTERM, then SIGKILL after the grace period (capped by the stand-in's
   * maxGracePeriodMs). With `failure`, the pod ends Failed with that reason (eviction, deadline).
   * A pod already stopping gets no second SIGTERM (e.g. an evicted pod then deleted): as with the
   * kubelet, a later stop can only shorten the grace period (SIGKILL sooner, at once with 0).
   */
  async stop(opts: { graceMs?: number; failure?: { reason: string; message: string } } = {}): Promise<void> {
    if (opts.failure && !this.failure) this.failure = opts.failure;
    const first = !this.stopping;
    this.stopping = true;
    this.abort.abort();
    const graceSeconds = this.pod.metadata.deletionGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds ?? 30;
    const graceMs = Math.min(opts.graceMs ?? graceSeconds * 1000, this.ctx.timings.maxGracePeriodMs);
    const running = [...this.init, ...this.containers].filter((c) => c.handle);
    if (first) {
      for (const c of running) this.event("Normal", "Killing", `Stopping container ${c.name}`, c.fieldPath);
      this.publish();
    }
    await Promise.all(
      running.map(async (c) => {
        const handle = c.handle!;
        if (first || graceMs === 0) await handle.signal(graceMs > 0 ? "SIGTERM" : "SIGKILL");
        const timer = setTimeout(() => {
          void handle.signal("SIGKILL");
        }, graceMs);
        await handle.exited;
        clearTimeout(timer);
      }),
    );
    await this.done;
  }
}
