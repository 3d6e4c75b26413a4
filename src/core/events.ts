/**
 * What a flow run tells the world while it runs. The runner emits events to observers; the CLI's live
 * display, the server reporter (agents, deployed runs) and tests are observers. Events are plain JSON.
 */
import type { State } from "./states.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogRecord {
  level: LogLevel;
  message: string;
  /** ISO 8601, UTC. */
  timestamp: string;
  flowRunId: string;
  taskRunId?: string;
  taskName?: string;
  mapIndex?: number | null;
  /** Extra structured fields (JSON). */
  fields?: Record<string, unknown>;
}

export type RunEvent =
  | { type: "flow-run-state"; flowRunId: string; flowName: string; state: State }
  | {
      type: "task-run-state";
      flowRunId: string;
      taskRunId: string;
      taskKey: string;
      taskName: string;
      mapIndex: number | null;
      state: State;
    }
  | { type: "log"; record: LogRecord };

/** An observer gets every event in order. It must not throw (errors are caught and logged) and should be fast. */
export type RunObserver = (event: RunEvent) => void;
