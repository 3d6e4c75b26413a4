/**
 * Turns what `sluice flow-run watch` polls from the server (the run, its task runs, new log lines and,
 * when a task run changed more than once between two polls, that task run's state history) into the same
 * RunEvents a local run emits, in the order they happened, so the watch shows what `sluice run` shows:
 * every state of every task run (each attempt, each retry with its error) and every log line.
 */
import type { FlowRun, LogRecord as ApiLogRecord, TaskRun } from "../../client/index.js";
import type { LogLevel, RunEvent } from "../../core/events.js";
import { isFinished, type State } from "../../core/states.js";

/** What one poll saw. */
export interface WatchSnapshot {
  run: FlowRun;
  /**
   * The flow run's state history (oldest first), read when its state changed since the previous poll
   * (`SnapshotEvents.flowHistoryNeeded`); without it only the current state is shown.
   */
  flowStates?: readonly State[];
  taskRuns: readonly TaskRun[];
  /** Log lines written since the previous poll, in the server's order. */
  logs: readonly ApiLogRecord[];
  /**
   * The full state history (oldest first) of the task runs `SnapshotEvents.historyNeeded` named. A task
   * run named there but missing here shows only its current state.
   */
  histories?: ReadonlyMap<string, readonly State[]>;
}

const LEVELS: Record<ApiLogRecord["level"], LogLevel> = { trace: "debug", debug: "debug", info: "info", warn: "warn", error: "error", fatal: "error" };

/** A log line of the API as a run's log record. */
export function logEvent(record: ApiLogRecord): RunEvent {
  const fields = { ...record.fields };
  const taskName = typeof fields.taskName === "string" ? fields.taskName : undefined;
  const mapIndex = typeof fields.mapIndex === "number" ? fields.mapIndex : null;
  delete fields.taskName;
  delete fields.mapIndex;
  return {
    type: "log",
    record: {
      level: LEVELS[record.level],
      message: record.message,
      timestamp: record.timestamp,
      flowRunId: record.flowRunId,
      ...(record.taskRunId === null ? {} : { taskRunId: record.taskRunId }),
      ...(taskName === undefined ? {} : { taskName, mapIndex }),
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    },
  };
}

type TaskEvent = Extract<RunEvent, { type: "task-run-state" }>;
type LogEvent = Extract<RunEvent, { type: "log" }>;

const at = (timestamp: string): number => {
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
};

/** Where a task run comes in the flow's graph: its task's position (upstream tasks first), then its map index. */
export type GraphOrder = (event: TaskEvent) => readonly [number, number];

const definitionOrder: GraphOrder = () => [0, 0];

/**
 * Merges task-run states and log lines into one timeline. States are ordered by time; within one
 * millisecond (the resolution of the timestamps), by `order` (an upstream task before its downstream
 * tasks, a mapped parent before its children, children by index), and a task run's own states keep their
 * order. Each log line goes after the states older than it and, within the same millisecond, before the
 * finished state of its own task run (a task logs before it ends).
 */
export function timeline(states: readonly TaskEvent[], logs: readonly LogEvent[], order: GraphOrder = definitionOrder): RunEvent[] {
  const sorted = states
    .map((event, i) => ({ event, i, t: at(event.state.timestamp), o: order(event) }))
    .sort((a, b) => a.t - b.t || a.o[0] - b.o[0] || a.o[1] - b.o[1] || a.i - b.i);
  const byTime = [...logs].map((event, i) => ({ event, i, t: at(event.record.timestamp) })).sort((a, b) => a.t - b.t || a.i - b.i);
  const out: RunEvent[] = [];
  let next = 0;
  for (const { event: log, t } of byTime) {
    while (next < sorted.length) {
      const s = sorted[next]!;
      const endsOwnTask = s.t === t && s.event.taskRunId === log.record.taskRunId && isFinished(s.event.state) && s.event.state.name !== "Mapped";
      if (s.t > t || endsOwnTask) break;
      out.push(s.event);
      next++;
    }
    out.push(log);
  }
  for (; next < sorted.length; next++) out.push(sorted[next]!.event);
  return out;
}

/**
 * Turns successive snapshots into RunEvents: every flow-run and task-run state recorded since the previous
 * poll and the new log lines, merged by time. The flow's started states come first and a finished one
 * last, as in a local run.
 */
export class SnapshotEvents {
  /** Flow-run states already shown (a count into its history), and the last one's key. */
  #flowShown = 0;
  #flowState: string | undefined;
  /** The version of each task run already shown; the server records one state per version. */
  readonly #versions = new Map<string, number>();
  readonly #order: GraphOrder;

  /** @param taskKeys the flow's task keys in graph order (upstream first), to order events of the same millisecond. */
  constructor(taskKeys: readonly string[] = []) {
    const rank = new Map(taskKeys.map((key, i) => [key, i]));
    this.#order = (e) => [rank.get(e.taskKey) ?? taskKeys.length, e.mapIndex ?? -1];
  }

  /** True when the flow run's state changed since the last poll: its history is needed to show every state. */
  flowHistoryNeeded(run: FlowRun): boolean {
    return `${run.state.name}\u0000${run.state.timestamp}` !== this.#flowState;
  }

  /** The task runs that changed more than once since the last poll: their history is needed to show every state. */
  historyNeeded(taskRuns: readonly TaskRun[]): string[] {
    return taskRuns.filter((t) => t.version - (this.#versions.get(t.id) ?? 0) > 1).map((t) => t.id);
  }

  events(snapshot: WatchSnapshot): RunEvent[] {
    const { run } = snapshot;
    const flowEvents = this.#flowEvents(snapshot).map((state): RunEvent => ({ type: "flow-run-state", flowRunId: run.id, flowName: run.flowName, state }));
    const states: TaskEvent[] = [];
    for (const t of snapshot.taskRuns) {
      const seen = this.#versions.get(t.id) ?? 0;
      if (seen >= t.version) continue;
      this.#versions.set(t.id, t.version);
      const history = snapshot.histories?.get(t.id);
      // The history may already hold states newer than this snapshot: they are shown with the next one.
      const fresh = history && history.length > seen ? history.slice(seen, t.version) : [t.state as State];
      for (const state of fresh) {
        states.push({
          type: "task-run-state",
          flowRunId: run.id,
          taskRunId: t.id,
          taskKey: t.taskKey,
          taskName: t.taskName,
          mapIndex: t.mapIndex < 0 ? null : t.mapIndex,
          state,
        });
      }
    }
    const logs = snapshot.logs.map((record) => logEvent(record) as LogEvent);
    const ended = flowEvents.at(-1);
    const last = ended && ended.type === "flow-run-state" && isFinished(ended.state) ? ended : undefined;
    return [...(last ? flowEvents.slice(0, -1) : flowEvents), ...timeline(states, logs, this.#order), ...(last ? [last] : [])];
  }

  /** The flow-run states not shown yet: from its history when given, else the current state if it changed. */
  #flowEvents(snapshot: WatchSnapshot): State[] {
    const { run, flowStates } = snapshot;
    const key = `${run.state.name}\u0000${run.state.timestamp}`;
    if (key === this.#flowState) return [];
    this.#flowState = key;
    const current = run.state as State;
    if (!flowStates || flowStates.length <= this.#flowShown) {
      this.#flowShown++;
      return [current];
    }
    // Up to the current state: a newer one in the history is shown with the next poll.
    const end = flowStates.findIndex((s, i) => i >= this.#flowShown && s.name === current.name && s.timestamp === current.timestamp);
    const fresh = flowStates.slice(this.#flowShown, end < 0 ? flowStates.length : end + 1);
    this.#flowShown += fresh.length;
    return fresh;
  }
}
