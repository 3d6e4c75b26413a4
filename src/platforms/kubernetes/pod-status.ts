/**
 * Reading the Kubernetes agent's Jobs and pods: what fails a run (image pull errors, OOM kills,
 * evictions, a pod or Job past its deadline, a container that cannot be configured, a Job that failed by
 * its backoff limit), and each container's state as a line for the run's log. Pure functions over the
 * objects the API returns.
 */
import type { V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";

/** Why a run failed, as Kubernetes said it. */
export interface RunFailure {
  /** Kubernetes' reason, e.g. "ImagePullBackOff", "OOMKilled", "Evicted", "BackoffLimitExceeded". */
  reason: string;
  /** One sentence for the run's state message, naming the object. */
  message: string;
}

/** Waiting reasons of a container that will not start by itself: the run fails with them. */
export const FATAL_WAITING_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

const statusesOf = (pod: V1Pod): V1ContainerStatus[] => [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];

const trimmed = (text: string | undefined): string => (text ?? "").trim().replace(/\s+/g, " ");

/** The condition of a finished Job ("Complete" or "Failed"), if it finished. */
export function jobOutcome(job: V1Job): { type: "Complete" | "Failed"; reason?: string; message?: string } | undefined {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== "True") continue;
    if (c.type === "Complete" || c.type === "Failed") return { type: c.type, reason: c.reason, message: c.message };
  }
  return undefined;
}

/** A failed Job as a run failure (BackoffLimitExceeded, DeadlineExceeded, ...). */
export function jobFailure(job: V1Job): RunFailure | undefined {
  const outcome = jobOutcome(job);
  if (outcome?.type !== "Failed") return undefined;
  const reason = outcome.reason ?? "Failed";
  const why = trimmed(outcome.message);
  return { reason, message: `Kubernetes Job ${job.metadata?.name} failed (${reason})${why ? `: ${why}` : ""}` };
}

/** What in this pod fails its run, if anything. */
export function podFailure(pod: V1Pod): RunFailure | undefined {
  const name = pod.metadata?.name ?? "(unnamed)";
  if (pod.status?.reason === "Evicted") {
    const why = trimmed(pod.status.message);
    return { reason: "Evicted", message: `pod ${name} was evicted${why ? `: ${why}` : ""}` };
  }
  if (pod.status?.reason === "DeadlineExceeded") {
    const why = trimmed(pod.status.message);
    return { reason: "DeadlineExceeded", message: `pod ${name} was stopped at its activeDeadlineSeconds${why ? `: ${why}` : ""}` };
  }
  for (const status of statusesOf(pod)) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && FATAL_WAITING_REASONS.has(waiting.reason)) {
      const why = trimmed(waiting.message);
      return { reason: waiting.reason, message: `container ${status.name} of pod ${name} cannot start: ${waiting.reason}${why ? `: ${why}` : ""}` };
    }
    const terminated = status.state?.terminated ?? status.lastState?.terminated;
    if (terminated?.reason === "OOMKilled") {
      return {
        reason: "OOMKilled",
        message: `container ${status.name} of pod ${name} ran out of memory and was killed (OOMKilled, exit code ${terminated.exitCode})`,
      };
    }
  }
  return undefined;
}

/** True when the pod has not started running yet (its events say why). */
export const isPending = (pod: V1Pod): boolean => pod.status?.phase === "Pending" || pod.status?.phase === undefined;

/** True when the pod ended (Succeeded or Failed). */
export const isTerminal = (pod: V1Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

/** One line per container of the pod: its state, exit code and reason. */
export function containerStateLines(pod: V1Pod): string[] {
  const name = pod.metadata?.name ?? "(unnamed)";
  const lines: string[] = [];
  for (const status of statusesOf(pod)) {
    const state = status.state;
    let text: string;
    if (state?.terminated) {
      const t = state.terminated;
      text = `terminated with exit code ${t.exitCode}${t.signal ? ` (signal ${t.signal})` : ""}${t.reason ? `, reason ${t.reason}` : ""}${t.message ? `: ${trimmed(t.message)}` : ""}`;
    } else if (state?.waiting) {
      text = `waiting${state.waiting.reason ? `, reason ${state.waiting.reason}` : ""}${state.waiting.message ? `: ${trimmed(state.waiting.message)}` : ""}`;
    } else if (state?.running) {
      text = "running";
    } else {
      text = "state unknown";
    }
    const last = status.lastState?.terminated;
    const previous = last ? `; before its last restart: exit code ${last.exitCode}${last.reason ? `, reason ${last.reason}` : ""}` : "";
    lines.push(
      `Pod ${name}, container ${status.name} (image ${status.image}, ${status.restartCount} restart${status.restartCount === 1 ? "" : "s"}): ${text}${previous}`,
    );
  }
  if (lines.length === 0)
    lines.push(
      `Pod ${name}: ${pod.status?.phase ?? "no status"}${pod.status?.reason ? `, reason ${pod.status.reason}` : ""}${pod.status?.message ? `: ${trimmed(pod.status.message)}` : ""}`,
    );
  return lines;
}
