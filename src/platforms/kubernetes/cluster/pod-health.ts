/**
 * How the cluster reads the pods it started (worker pods and the ephemeral broker), as pure functions on
 * the pods' JSON: a pod is starting or running, cannot start (its image cannot be pulled, its config is
 * wrong: waiting will not help), has ended (failed, evicted, OOM-killed, crash-looping), or is being
 * deleted. Every verdict that is not "ok" carries one line saying what Kubernetes said.
 */

/** The parts of a pod this module reads (a V1Pod from the client fits). */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: unknown; creationTimestamp?: unknown };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    containerStatuses?: ContainerStatusLike[];
  };
}

interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; message?: string; exitCode?: number };
  };
  lastState?: { terminated?: { reason?: string; message?: string; exitCode?: number } };
}

export type PodVerdict =
  | { kind: "ok"; running: boolean }
  | { kind: "terminating" }
  /** It will not start by waiting: a bad image, a missing Secret or ConfigMap. */
  | { kind: "cannot-start"; reason: string }
  /** Its container(s) ended or keep crashing: the pod is no longer a worker. */
  | { kind: "ended"; reason: string };

/** Waiting reasons that do not go away by waiting. */
export const CANNOT_START_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

const nameOf = (pod: PodLike): string => pod.metadata?.name ?? "(unnamed)";

function terminatedText(container: string, t: { reason?: string; message?: string; exitCode?: number }): string {
  const reason = t.reason ?? "Error";
  const message = t.message ? `: ${t.message.trim()}` : "";
  return `container ${container} terminated (${reason}, exit code ${t.exitCode ?? "unknown"})${message}`;
}

/** The verdict on one pod. */
export function podVerdict(pod: PodLike): PodVerdict {
  if (pod.metadata?.deletionTimestamp) return { kind: "terminating" };
  const status = pod.status ?? {};
  const containers = status.containerStatuses ?? [];
  for (const c of containers) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && CANNOT_START_REASONS.has(waiting.reason)) {
      return {
        kind: "cannot-start",
        reason: `pod ${nameOf(pod)}: container ${c.name ?? "?"} cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message.trim()}` : ""}`,
      };
    }
    if (waiting?.reason === "CrashLoopBackOff") {
      const last = c.lastState?.terminated;
      return {
        kind: "ended",
        reason: `pod ${nameOf(pod)}: container ${c.name ?? "?"} keeps crashing (CrashLoopBackOff)${last ? `; last: ${terminatedText(c.name ?? "?", last)}` : ""}`,
      };
    }
  }
  if (status.phase === "Failed" || status.phase === "Succeeded") {
    const ended = containers.find((c) => c.state?.terminated && (c.state.terminated.exitCode ?? 0) !== 0) ?? containers.find((c) => c.state?.terminated);
    const detail = ended?.state?.terminated
      ? terminatedText(ended.name ?? "?", ended.state.terminated)
      : `${status.reason ?? status.phase}${status.message ? `: ${status.message.trim()}` : ""}`;
    const evicted = status.reason === "Evicted" ? ` (evicted${status.message ? `: ${status.message.trim()}` : ""})` : "";
    return {
      kind: "ended",
      reason: `pod ${nameOf(pod)} ${status.phase === "Succeeded" ? "exited" : "failed"}: ${detail}${evicted && !detail.startsWith("Evicted") ? evicted : ""}`,
    };
  }
  return { kind: "ok", running: status.phase === "Running" };
}

/** Creation time of a pod in ms (0 when unknown). */
export function createdAtOf(pod: PodLike): number {
  const t = pod.metadata?.creationTimestamp;
  const ms = t instanceof Date ? t.getTime() : typeof t === "string" ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}
