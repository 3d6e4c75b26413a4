/**
 * Whether a task run starts once its upstream runs finished: upstream skips propagate (unless
 * `skipOnUpstreamSkip: false`), `manualOnly` tasks end Skipped, then the trigger decides.
 */
import { isoNow } from "../clock.js";
import { serializeError, SluiceError } from "../errors.js";
import type { State } from "../states.js";
import type { CompiledTaskOptions } from "../task-options.js";

/** Null: run. Otherwise the state the run ends in without running. */
export function gate(options: CompiledTaskOptions, upstreamStates: readonly State[]): State | null {
  if (options.triggerName === "manualOnly") {
    return { name: "Skipped", message: "Not run: the task's trigger is manualOnly, it needs manual approval", timestamp: isoNow() };
  }
  if (upstreamStates.length === 0) return null;
  if (options.skipOnUpstreamSkip && upstreamStates.some((s) => s.name === "Skipped")) {
    return { name: "Skipped", message: "Skipped because an upstream task was skipped", timestamp: isoNow() };
  }
  let pass: boolean;
  let thrown: unknown;
  try {
    pass = options.trigger(upstreamStates);
  } catch (error) {
    pass = false;
    thrown = error;
  }
  if (pass) return null;
  const counts = new Map<string, number>();
  for (const s of upstreamStates) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  const summary = [...counts].map(([name, n]) => `${n} ${name}`).join(", ");
  const message =
    thrown === undefined
      ? `Trigger ${options.triggerName} was not met (upstream: ${summary})`
      : `Trigger ${options.triggerName} threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
  return {
    name: "TriggerFailed",
    message,
    timestamp: isoNow(),
    error: serializeError(new SluiceError("TASK_FAILED", message, thrown === undefined ? {} : { cause: thrown })),
  };
}
