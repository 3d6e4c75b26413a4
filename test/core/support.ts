/**
 * Helpers for the core's tests: quiet runs, an event recorder, and assertions on SluiceErrors.
 */
import assert from "node:assert/strict";
import { SluiceError, type RunEvent, type StateName } from "sluice";

/** Run options that keep stderr quiet. */
export const quiet = { logLevel: "silent" } as const;

/** Records every event of a run. */
export function recorder() {
  const events: RunEvent[] = [];
  return {
    events,
    observer: (event: RunEvent): void => {
      events.push(event);
    },
    /** The state names a task run went through, in order. */
    states(taskKey: string, mapIndex: number | null = null): StateName[] {
      return events.flatMap((e) => (e.type === "task-run-state" && e.taskKey === taskKey && e.mapIndex === mapIndex ? [e.state.name] : []));
    },
    flowStates(): StateName[] {
      return events.flatMap((e) => (e.type === "flow-run-state" ? [e.state.name] : []));
    },
  };
}

/** Asserts that `fn` throws (or rejects with) a SluiceError of `code` whose message matches every pattern. */
export async function rejectsWith(fn: () => unknown, code: string, ...patterns: RegExp[]): Promise<SluiceError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SluiceError, `expected a SluiceError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
