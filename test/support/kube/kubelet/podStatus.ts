/**
 * Pure construction of a Pod's `status` from the kubelet's view of its containers: phase, conditions
 * and container statuses, shaped as a real kubelet reports them.
 */
import { timestamp } from "../util.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string } };

export interface ContainerView {
  name: string;
  image: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  restartCount: number;
  everStarted: boolean;
  /** Terminated and will not be restarted. */
  final: boolean;
  containerId?: string;
  imageId: string;
}

export interface PodView {
  init: ContainerView[];
  containers: ContainerView[];
  scheduled: boolean;
  initialized: boolean;
  startTime?: string;
  /** Why the kubelet is stopping the pod, when it fails it on purpose (eviction, deadline). */
  failure?: { reason: string; message: string };
  qosClass?: string;
}

const isRunning = (c: ContainerView) => "running" in c.state;
const succeeded = (c: ContainerView) => "terminated" in c.state && c.state.terminated.exitCode === 0;

export function podPhase(v: PodView): string {
  if (v.init.some((c) => c.final && !succeeded(c))) return "Failed";
  if (v.failure) return "Failed";
  if (v.containers.every((c) => c.final)) return v.containers.every(succeeded) ? "Succeeded" : "Failed";
  if (v.initialized && v.containers.every((c) => c.everStarted)) return "Running";
  return "Pending";
}

/** Keeps lastTransitionTime stable while a condition's status does not change. */
export class ConditionClock {
  private readonly seen = new Map<string, { status: string; at: string }>();

  condition(type: string, status: boolean, reason?: string, message?: string): Json {
    const s = status ? "True" : "False";
    const prev = this.seen.get(type);
    const at = prev && prev.status === s ? prev.at : timestamp();
    this.seen.set(type, { status: s, at });
    return { type, status: s, lastProbeTime: null, lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  }
}

function containerStatus(c: ContainerView, ready: boolean): Json {
  return {
    name: c.name,
    state: c.state,
    lastState: c.lastState,
    ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageId,
    ...(c.containerId ? { containerID: c.containerId } : {}),
    started: isRunning(c),
  };
}

export function podStatus(v: PodView, clock: ConditionClock): Json {
  const phase = podPhase(v);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const unready = v.containers.filter((c) => !isRunning(c)).map((c) => c.name);
  const notInit = v.init.filter((c) => !succeeded(c)).map((c) => c.name);
  const readyReason = terminal && unready.length ? "PodCompleted" : unready.length ? "ContainersNotReady" : undefined;
  const readyMessage = readyReason === "ContainersNotReady" ? `containers with unready status: [${unready.join(" ")}]` : undefined;
  const conditions: Json[] = [];
  if (v.failure?.reason === "Evicted") {
    conditions.push(clock.condition("DisruptionTarget", true, "TerminationByKubelet", v.failure.message));
  }
  if (v.scheduled) {
    conditions.push(clock.condition("PodReadyToStartContainers", !terminal));
    conditions.push(
      v.initialized || v.init.length === 0
        ? clock.condition("Initialized", true, terminal && v.init.length === 0 ? "PodCompleted" : undefined)
        : clock.condition("Initialized", false, "ContainersNotInitialized", `containers with incomplete status: [${notInit.join(" ")}]`),
    );
    conditions.push(clock.condition("Ready", unready.length === 0, readyReason, readyMessage));
    conditions.push(clock.condition("ContainersReady", unready.length === 0, readyReason, readyMessage));
  }
  conditions.push(clock.condition("PodScheduled", v.scheduled));
  return {
    phase,
    conditions,
    ...(v.failure ? { reason: v.failure.reason, message: v.failure.message } : {}),
    ...(v.scheduled ? { hostIP: "127.0.0.1", hostIPs: [{ ip: "127.0.0.1" }], podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } : {}),
    ...(v.startTime ? { startTime: v.startTime } : {}),
    ...(v.init.length ? { initContainerStatuses: v.init.map((c) => containerStatus(c, succeeded(c))) } : {}),
    ...(v.scheduled ? { containerStatuses: v.containers.map((c) => containerStatus(c, isRunning(c))) } : {}),
    ...(v.qosClass ? { qosClass: v.qosClass } : {}),
  };
}
