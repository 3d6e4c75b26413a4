/**
 * The wire format between a flow run in a container (`sluice execute flow --events`) and the host that
 * launched it: the run's events and its final result as marked JSON lines on stdout. Other stdout lines
 * (a task's console.log) are plain output. Everything here is JSON; errors travel as SerializedError.
 */
import type { RunEvent } from "../core/events.js";
import type { FlowRunResult, TaskRunSummary } from "../core/flow-options.js";
import type { State } from "../core/states.js";

export const EVENT_MARK = "@@sluice-event ";
export const RESULT_MARK = "@@sluice-result ";

/** The JSON part of a FlowRunResult (without its lookup functions). */
export interface WireResult {
  flowRunId: string;
  flowName: string;
  state: State;
  taskRuns: TaskRunSummary[];
  /** The flow body's value, when it is JSON. */
  value?: unknown;
}

export type OutputLine = { kind: "event"; event: RunEvent } | { kind: "result"; result: WireResult } | { kind: "text"; text: string };

/** One event as a line (without the newline). */
export function eventLine(event: RunEvent): string {
  try {
    return `${EVENT_MARK}${JSON.stringify(event)}`;
  } catch {
    // A result or log field that is not JSON (BigInt, a cycle): send the event without it.
    if (event.type === "log") return `${EVENT_MARK}${JSON.stringify({ ...event, record: { ...event.record, fields: undefined } })}`;
    return `${EVENT_MARK}${JSON.stringify({ ...event, state: { ...event.state, result: undefined } })}`;
  }
}

/** The final result as a line; a value that is not JSON is left out. */
export function resultLine(result: FlowRunResult): string {
  const wire: WireResult = { flowRunId: result.flowRunId, flowName: result.flowName, state: result.state, taskRuns: result.taskRuns };
  try {
    const value = JSON.stringify(result.value);
    if (value !== undefined) wire.value = JSON.parse(value) as unknown;
  } catch {
    // Not JSON: the host gets the task results through the task run states.
  }
  try {
    return `${RESULT_MARK}${JSON.stringify(wire)}`;
  } catch {
    return `${RESULT_MARK}${JSON.stringify({ ...wire, value: undefined, taskRuns: wire.taskRuns.map((t) => ({ ...t, state: { ...t.state, result: undefined } })) })}`;
  }
}

/** Parses one stdout line of the container. */
export function parseOutputLine(line: string): OutputLine {
  const at = (mark: string): string | undefined => (line.startsWith(mark) ? line.slice(mark.length) : undefined);
  const event = at(EVENT_MARK);
  if (event !== undefined) {
    try {
      const parsed = JSON.parse(event) as RunEvent;
      if (parsed && typeof parsed === "object" && typeof parsed.type === "string") return { kind: "event", event: parsed };
    } catch {
      // fall through: shown as text
    }
  }
  const result = at(RESULT_MARK);
  if (result !== undefined) {
    try {
      const parsed = JSON.parse(result) as WireResult;
      if (parsed && typeof parsed === "object" && parsed.state && Array.isArray(parsed.taskRuns)) return { kind: "result", result: parsed };
    } catch {
      // fall through
    }
  }
  return { kind: "text", text: line };
}
