/**
 * Rebuilds a flow run's result on the host from what a container reported: the run's events (states of
 * the flow run and of every task run) and, when the run got that far, its final result line. When the
 * container ended without a result (killed, crashed, out of memory), the run ends with a state that says
 * why, and task runs left unfinished end the same way.
 */
import type { RunEvent } from "../../core/events.js";
import type { FlowRunResult, TaskRunSummary } from "../../core/flow-options.js";
import type { Ref } from "../../core/ref.js";
import { isFinished, makeState, type State } from "../../core/states.js";
import type { WireResult } from "../../deployment/contract.js";

/** Collects the states a run reports, to rebuild its result. */
export class RemoteRunTracker {
  #flowState: State | undefined;
  readonly #taskRuns = new Map<string, TaskRunSummary>();

  constructor(
    readonly flowRunId: string,
    readonly flowName: string,
  ) {}

  /** The last flow run state reported, if any. */
  get flowState(): State | undefined {
    return this.#flowState;
  }

  /** Takes one event of the run into account. */
  apply(event: RunEvent): void {
    if (event.type === "flow-run-state") this.#flowState = event.state;
    else if (event.type === "task-run-state") {
      const known = this.#taskRuns.get(event.taskRunId);
      const attempts = (known?.attempts ?? 0) + (event.state.name === "Running" ? 1 : 0);
      this.#taskRuns.set(event.taskRunId, {
        taskRunId: event.taskRunId,
        taskKey: event.taskKey,
        taskName: event.taskName,
        mapIndex: event.mapIndex,
        state: event.state,
        attempts,
      });
    }
  }

  /**
   * Ends what is still open with `state` (e.g. Failed "killed by SIGKILL"): every unfinished task run and
   * the flow run. Returns the events that say so, for observers.
   */
  close(state: State): RunEvent[] {
    const events: RunEvent[] = [];
    for (const run of this.#taskRuns.values()) {
      if (isFinished(run.state)) continue;
      const ended = makeState(state.name, { message: state.message ?? "", ...(state.error ? { error: state.error } : {}) });
      run.state = ended;
      events.push({
        type: "task-run-state",
        flowRunId: this.flowRunId,
        taskRunId: run.taskRunId,
        taskKey: run.taskKey,
        taskName: run.taskName,
        mapIndex: run.mapIndex,
        state: ended,
      });
    }
    if (!this.#flowState || !isFinished(this.#flowState)) {
      this.#flowState = state;
      events.push({ type: "flow-run-state", flowRunId: this.flowRunId, flowName: this.flowName, state });
    }
    return events;
  }

  /** The result from the events alone (no value). */
  result(keyOrder: readonly string[], parameters: Record<string, unknown>): FlowRunResult {
    return remoteResult(
      {
        flowRunId: this.flowRunId,
        flowName: this.flowName,
        state: this.#flowState ?? makeState("Failed", { message: "the run reported no state" }),
        taskRuns: [...this.#taskRuns.values()],
      },
      keyOrder,
      parameters,
    );
  }
}

/** A FlowRunResult over the JSON a container reported; task runs in the flow's key order, then by map index. */
export function remoteResult(wire: WireResult, keyOrder: readonly string[], parameters: Record<string, unknown>): FlowRunResult {
  const rank = new Map(keyOrder.map((k, i) => [k, i]));
  const taskRuns = [...wire.taskRuns].sort(
    (a, b) => (rank.get(a.taskKey) ?? Infinity) - (rank.get(b.taskKey) ?? Infinity) || (a.mapIndex ?? -1) - (b.mapIndex ?? -1),
  );
  const runsOf = (key: string): TaskRunSummary[] => taskRuns.filter((t) => t.taskKey === key);
  return {
    flowRunId: wire.flowRunId,
    flowName: wire.flowName,
    state: wire.state,
    taskRuns,
    value: wire.value as FlowRunResult["value"],
    result<T>(ref: Ref<T>): T | undefined {
      if (ref.source === "parameter") return parameters[ref.key] as T | undefined;
      const runs = runsOf(ref.key);
      if (ref.mapped) return runs.filter((r) => r.mapIndex !== null).map((r) => r.state.result) as T;
      return runs.find((r) => r.mapIndex === null)?.state.result as T | undefined;
    },
    taskRun(node: string | Ref, mapIndex: number | null = null): TaskRunSummary | undefined {
      const key = typeof node === "string" ? node : node.key;
      return runsOf(key).find((r) => r.mapIndex === mapIndex);
    },
  };
}
