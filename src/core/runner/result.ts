/**
 * The end of a flow run: its final state (from the reference tasks' runs) and the typed result object.
 */
import { isoNow } from "../clock.js";
import { serializeError, SluiceError } from "../errors.js";
import type { FlowRunResult, TaskRunSummary } from "../run-options.js";
import { isPlainObject } from "../graph-input.js";
import { isRef, type Ref } from "../ref.js";
import { isFailed, type State } from "../states.js";
import { resolveRef, type ResolveContext } from "./inputs.js";
import type { NodeRun, TaskRunRecord } from "./records.js";

/** Success when every reference run succeeded (Skipped counts), Failed otherwise, Cancelled if the run was cancelled. */
export function finalState(reference: readonly NodeRun[], cancelled: boolean): State {
  const timestamp = isoNow();
  if (cancelled) {
    const message = "Flow run was cancelled";
    return { name: "Cancelled", message, timestamp, error: serializeError(new SluiceError("CANCELLED", message)) };
  }
  const failed: string[] = [];
  for (const nr of reference) {
    const states: State[] = [];
    nr.statesForDownstream(states);
    const bad = states.filter(isFailed);
    if (bad.length > 0) failed.push(`${nr.key} (${[...new Set(bad.map((s) => s.name))].join("/")}${states.length > 1 ? ` ×${bad.length}` : ""})`);
  }
  if (failed.length === 0) return { name: "Success", message: "All reference tasks succeeded", timestamp };
  const message = `${failed.length} of ${reference.length} reference task${reference.length === 1 ? "" : "s"} failed: ${failed.join(", ")}`;
  return { name: "Failed", message, timestamp, error: serializeError(new SluiceError("TASK_FAILED", message)) };
}

const summary = (nr: NodeRun, r: TaskRunRecord): TaskRunSummary => ({
  taskRunId: r.id,
  taskKey: nr.key,
  taskName: nr.task.name,
  mapIndex: r.mapIndex,
  state: r.state,
  attempts: r.attempts,
});

function resolveDeep(value: unknown, ctx: ResolveContext): unknown {
  if (isRef(value)) return resolveRef(value, ctx);
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, ctx));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, ctx)]));
  return value;
}

/** Builds the result object of a finished run. */
export function buildResult<R>(
  flowName: string,
  flowRunId: string,
  state: State,
  nodeRuns: readonly NodeRun[],
  ctx: ResolveContext,
  returned: unknown,
): FlowRunResult<R> {
  const taskRuns: TaskRunSummary[] = [];
  for (const nr of nodeRuns) {
    taskRuns.push(summary(nr, nr.record));
    if (nr.children) for (const c of nr.children) taskRuns.push(summary(nr, c));
  }
  return {
    flowRunId,
    flowName,
    state,
    taskRuns,
    value: resolveDeep(returned, ctx) as FlowRunResult<R>["value"],
    result<T>(ref: Ref<T>): T | undefined {
      return isRef(ref) && ref.flowName === flowName ? (resolveRef(ref, ctx) as T | undefined) : undefined;
    },
    taskRun(node: string | Ref, mapIndex: number | null = null): TaskRunSummary | undefined {
      const nr = ctx.nodeRuns.get(typeof node === "string" ? node : node.key);
      if (!nr) return undefined;
      if (mapIndex === null) return summary(nr, nr.record);
      const child = nr.children?.[mapIndex];
      return child ? summary(nr, child) : undefined;
    },
  };
}
