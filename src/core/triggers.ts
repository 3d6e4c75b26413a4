/**
 * Triggers decide, once all of a task's upstream runs have finished, whether the task runs. A trigger
 * receives the upstream states (a mapped upstream contributes one state per child; an upstream mapped
 * over zero elements contributes its Mapped state) and returns true to run. When it returns false the task
 * run ends TriggerFailed. A task without upstream tasks always runs.
 *
 * Skipped and Mapped count as successful (SUCCESSFUL_STATES in states.ts): a skipped upstream, or a mapped
 * one whose children all finished, does not stop the tasks downstream of it.
 */
import { isFailed, isFinished, isSuccessful, type State } from "./states.js";

/** A custom trigger: true to run the task. Must not throw. */
export type Trigger = (upstreamStates: readonly State[]) => boolean;

/** The names of the built-in triggers. */
export const TRIGGER_NAMES = ["allSuccessful", "allFinished", "anyFailed", "anySuccessful", "allFailed", "manualOnly"] as const;
export type TriggerName = (typeof TRIGGER_NAMES)[number];

/**
 * The built-in triggers.
 * - `allSuccessful` (default): every upstream run succeeded (Success, Skipped or Mapped).
 * - `allFinished`: always runs once upstream runs finished, whatever their outcome (cleanup tasks).
 * - `anyFailed`: at least one upstream run failed (error handlers).
 * - `anySuccessful`: at least one upstream run succeeded.
 * - `allFailed`: every upstream run failed.
 * - `manualOnly`: never runs automatically; the runner ends the task run Skipped with a message that it
 *   needs manual approval (Sluice has no Paused state; a later manual run can resume the flow run).
 */
export const triggers: Readonly<Record<TriggerName, Trigger>> = {
  allSuccessful: (states) => states.every(isSuccessful),
  allFinished: (states) => states.every(isFinished),
  anyFailed: (states) => states.some(isFailed),
  anySuccessful: (states) => states.some(isSuccessful),
  allFailed: (states) => states.every(isFailed),
  manualOnly: () => false,
};

export function isTriggerName(value: unknown): value is TriggerName {
  return typeof value === "string" && (TRIGGER_NAMES as readonly string[]).includes(value);
}
