/**
 * Which state changes callers of the API may make. Pure functions: the repositories call them inside
 * their optimistic update (read, check, write with a version check).
 *
 * Flow runs:
 * - a finished run (Success, Failed, TriggerFailed, Skipped, Cancelled, TimedOut) changes no more; only
 *   the server's own services may reschedule one (they bypass this check);
 * - Submitted comes only from Pending or Scheduled (normally through a claim);
 * - Pending and Scheduled come only from Pending, Scheduled or Submitted (an agent handing a run back);
 * - Mapped is a task-run state, never a flow run's.
 * Task runs: a finished task run changes no more; anything else goes.
 * Setting the state a run is already in, when that state is finished, is a no-op (replays are safe).
 */
import { isFinished, type StateName } from "../../core/states.js";

/** What the repository does with a requested change. */
export type TransitionDecision = { kind: "apply" } | { kind: "noop" } | { kind: "reject"; reason: string };

const APPLY: TransitionDecision = { kind: "apply" };
const NOOP: TransitionDecision = { kind: "noop" };

export function decideFlowRunTransition(from: StateName, to: StateName): TransitionDecision {
  if (to === "Mapped") return { kind: "reject", reason: "Mapped is a task-run state; a flow run cannot be Mapped" };
  if (isFinished(from)) {
    if (from === to) return NOOP;
    return { kind: "reject", reason: `the flow run is finished (${from}) and cannot become ${to}` };
  }
  if (to === "Submitted" && from !== "Pending" && from !== "Scheduled")
    return { kind: "reject", reason: `a flow run becomes Submitted only from Scheduled or Pending, not from ${from}` };
  if ((to === "Pending" || to === "Scheduled") && from !== "Pending" && from !== "Scheduled" && from !== "Submitted")
    return { kind: "reject", reason: `a ${from} flow run cannot go back to ${to} (only the server reschedules started runs)` };
  return APPLY;
}

export function decideTaskRunTransition(from: StateName, to: StateName): TransitionDecision {
  if (isFinished(from)) {
    if (from === to) return NOOP;
    return { kind: "reject", reason: `the task run is finished (${from}) and cannot become ${to}` };
  }
  return APPLY;
}
