/**
 * The state of a flow run as the CLI sees it, rebuilt from RunEvents: every task run's current state,
 * counts by state, the running task runs and per-map tallies. The live display, the plain log lines and
 * the --json report all read this model; it does no I/O.
 */
import type { RunEvent } from "../../core/events.js";
import { isFinished, type State, type StateName } from "../../core/states.js";

/** One task run as displayed. */
export interface TaskRunView {
  taskRunId: string;
  taskKey: string;
  taskName: string;
  mapIndex: number | null;
  state: State;
  /** Epoch ms of the first Running state, if any. */
  startedAt: number | null;
  /** Epoch ms of the finished state, if finished. */
  endedAt: number | null;
  /** Highest attempt number seen. */
  attempts: number;
}

/** Tally of the children of one mapped task (keyed by task key). */
export interface MapTally {
  taskKey: string;
  taskName: string;
  /** From the parent's Mapped state; null until known. */
  mapCount: number | null;
  finished: number;
  byState: Partial<Record<StateName, number>>;
  firstStartedAt: number | null;
  lastEndedAt: number | null;
  /** Failure lines printed so far in plain mode (the rest are summarised). */
  failuresShown: number;
}

const time = (state: State): number => {
  const t = Date.parse(state.timestamp);
  return Number.isNaN(t) ? Date.now() : t;
};

/** A short label of a task run: `name` or `name[3]` for a mapped child. */
export const labelOf = (v: Pick<TaskRunView, "taskName" | "taskKey" | "mapIndex">): string => {
  const base = v.taskKey === v.taskName || v.taskKey.startsWith(`${v.taskName}-`) ? v.taskKey : `${v.taskName} (${v.taskKey})`;
  return v.mapIndex === null ? base : `${base}[${v.mapIndex}]`;
};

export class RunProgress {
  flowName: string;
  flowRunId: string | null = null;
  flowState: State | null = null;
  /** Epoch ms when the flow run started Running (or when the model was created). */
  startedAt: number;
  endedAt: number | null = null;
  readonly taskRuns = new Map<string, TaskRunView>();
  /** Task runs by current state name. */
  readonly counts = new Map<StateName, number>();
  /** Task run ids now Running, in the order they started. */
  readonly running = new Set<string>();
  readonly maps = new Map<string, MapTally>();
  /** Number of task nodes in the flow's graph, for the progress total before runs are created. */
  readonly plannedNodes: number;

  constructor(flowName: string, plannedNodes = 0, now = Date.now()) {
    this.flowName = flowName;
    this.plannedNodes = plannedNodes;
    this.startedAt = now;
  }

  /** How many task runs there will be, as far as known now: graph nodes plus map children. */
  get total(): number {
    let children = 0;
    for (const m of this.maps.values()) children += m.mapCount ?? 0;
    return Math.max(this.plannedNodes + children, this.taskRuns.size);
  }

  /** Task runs in a finished state (a Mapped parent counts as finished). */
  get finished(): number {
    let n = 0;
    for (const [name, count] of this.counts) if (isFinished(name)) n += count;
    return n;
  }

  tallyOf(taskKey: string, taskName: string): MapTally {
    let tally = this.maps.get(taskKey);
    if (!tally) {
      tally = { taskKey, taskName, mapCount: null, finished: 0, byState: {}, firstStartedAt: null, lastEndedAt: null, failuresShown: 0 };
      this.maps.set(taskKey, tally);
    }
    return tally;
  }

  #count(name: StateName, delta: number): void {
    const n = (this.counts.get(name) ?? 0) + delta;
    if (n === 0) this.counts.delete(name);
    else this.counts.set(name, n);
  }

  /** Applies one event; returns the task run it changed (undefined for flow and log events). */
  apply(event: RunEvent): TaskRunView | undefined {
    if (event.type === "flow-run-state") {
      this.flowName = event.flowName;
      this.flowRunId = event.flowRunId;
      this.flowState = event.state;
      if (event.state.name === "Running") this.startedAt = time(event.state);
      if (isFinished(event.state)) this.endedAt = time(event.state);
      return undefined;
    }
    if (event.type !== "task-run-state") return undefined;
    const { state } = event;
    let view = this.taskRuns.get(event.taskRunId);
    if (view) {
      this.#count(view.state.name, -1);
      view.state = state;
    } else {
      view = {
        taskRunId: event.taskRunId,
        taskKey: event.taskKey,
        taskName: event.taskName,
        mapIndex: event.mapIndex,
        state,
        startedAt: null,
        endedAt: null,
        attempts: 0,
      };
      this.taskRuns.set(event.taskRunId, view);
    }
    this.#count(state.name, 1);
    if (state.attempt !== undefined && state.attempt > view.attempts) view.attempts = state.attempt;
    if (state.name === "Running") {
      view.startedAt ??= time(state);
      this.running.add(event.taskRunId);
    } else {
      this.running.delete(event.taskRunId);
    }
    if (state.name === "Mapped") this.tallyOf(event.taskKey, event.taskName).mapCount = state.mapCount ?? 0;
    if (event.mapIndex !== null) {
      const tally = this.tallyOf(event.taskKey, event.taskName);
      if (state.name === "Running" && tally.firstStartedAt === null) tally.firstStartedAt = time(state);
      if (isFinished(state)) {
        tally.finished++;
        tally.byState[state.name] = (tally.byState[state.name] ?? 0) + 1;
        tally.lastEndedAt = time(state);
      }
    }
    if (isFinished(state)) view.endedAt = time(state);
    return view;
  }

  /** Ms since the run started (to `now`, or to its end when finished). */
  elapsed(now = Date.now()): number {
    return Math.max(0, (this.endedAt ?? now) - this.startedAt);
  }
}
