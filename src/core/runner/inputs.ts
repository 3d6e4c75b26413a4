/**
 * Resolving a node's argument template to the task's input, and expanding mapped nodes: which sources are
 * mapped (literal lists, parameter or upstream lists, element-wise mapped upstreams), their common
 * length, and each child's input.
 */
import { isoNow } from "../clock.js";
import { serializeError, showValue, SluiceError } from "../errors.js";
import { mappedSources, RefList } from "../graph-input.js";
import { isRef, isUnmapped, type Ref } from "../ref.js";
import type { State } from "../states.js";
import type { ChildSource, MappingPlan, NodeRun } from "./records.js";

export interface ResolveContext {
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly nodeRuns: ReadonlyMap<string, NodeRun>;
}

/** The value of a ref in this run (undefined when the node has no result). */
export function resolveRef(ref: Ref, ctx: ResolveContext): unknown {
  if (ref.source === "parameter") return ctx.parameters[ref.key];
  return ctx.nodeRuns.get(ref.key)?.value();
}

function resolve(v: unknown, ctx: ResolveContext): unknown {
  if (isRef(v)) return resolveRef(v, ctx);
  if (v instanceof RefList) return v.items.map((item) => (isRef(item) ? resolveRef(item, ctx) : item));
  if (isUnmapped(v)) return resolve(v.value, ctx);
  return v;
}

/** The input of a plain (not mapped) node's run. */
export function plainInput(nodeRun: NodeRun, ctx: ResolveContext): unknown {
  const t = nodeRun.node.input;
  if (t.kind === "none") return undefined;
  if (t.kind === "value") return resolve(t.value, ctx);
  const out: Record<string, unknown> = {};
  for (const name in t.fields) out[name] = resolve(t.fields[name], ctx);
  return out;
}

/** The input of child `i` of a mapped node. */
export function childInput(plan: MappingPlan, i: number): unknown {
  if (plan.kind === "value") return element(plan.source, i);
  const out: Record<string, unknown> = {};
  for (const [name, source] of plan.fields) out[name] = element(source, i);
  return out;
}

function element(source: ChildSource, i: number): unknown {
  switch (source.kind) {
    case "list":
      return source.list[i];
    case "constant":
      return source.value;
    case "children": {
      const child = source.nodeRun.children![i]!;
      return child.state.name === "Success" ? child.state.result : undefined;
    }
  }
}

export type MappingOutcome =
  | { ok: true; count: number; plan: MappingPlan; elementwise: NodeRun[] }
  /** The node cannot expand: end its parent run in this state. */
  | { ok: false; state: State };

function notMappable(name: "TriggerFailed" | "Failed" | "Skipped", message: string, code: "GRAPH_INVALID" | "TASK_FAILED" = "TASK_FAILED"): MappingOutcome {
  const state: State = { name, message, timestamp: isoNow() };
  if (name !== "Skipped") state.error = serializeError(new SluiceError(code, message));
  return { ok: false, state };
}

/** Works out how a mapped node expands in this run. */
export function planMapping(nodeRun: NodeRun, ctx: ResolveContext): MappingOutcome {
  const template = nodeRun.node.input;
  const where = `${nodeRun.key}.map()`;
  const mapped = new Map<string, ChildSource>();
  const lengths: Array<[string, number]> = [];
  const elementwise: NodeRun[] = [];
  for (const [label, src] of mappedSources(template)) {
    const what = label === "input" ? "its input" : `field "${label}"`;
    let source: ChildSource;
    if (isRef(src) && src.source === "task") {
      const up = ctx.nodeRuns.get(src.key)!;
      if (up.children !== null) {
        source = { kind: "children", nodeRun: up };
        elementwise.push(up);
        lengths.push([label, up.children.length]);
        mapped.set(label, source);
        continue;
      }
      const upState = up.record.state;
      if (upState.name !== "Success") {
        if (upState.name === "Skipped" && nodeRun.task.options.skipOnUpstreamSkip) {
          return notMappable("Skipped", `Not mapped: ${what} comes from "${up.key}", which was skipped`);
        }
        return notMappable("TriggerFailed", `Cannot map over ${what}: upstream "${up.key}" ended ${upState.name} without a list`);
      }
    }
    const list = resolve(src, ctx);
    if (!Array.isArray(list)) {
      return notMappable("Failed", `Cannot map over ${what} of ${where}: it is ${showValue(list)}, not a list`, "GRAPH_INVALID");
    }
    source = { kind: "list", list };
    lengths.push([label, list.length]);
    mapped.set(label, source);
  }
  const count = lengths[0]?.[1] ?? 0;
  if (lengths.some(([, n]) => n !== count)) {
    return notMappable(
      "Failed",
      `Cannot map ${where}: mapped fields have different lengths (${lengths.map(([l, n]) => `${l}: ${n}`).join(", ")}); give them equal lengths or wrap constants in unmapped()`,
      "GRAPH_INVALID",
    );
  }
  let plan: MappingPlan;
  if (template.kind === "fields") {
    const fields: Array<readonly [string, ChildSource]> = [];
    for (const name in template.fields) {
      fields.push([name, mapped.get(name) ?? { kind: "constant", value: resolve(template.fields[name], ctx) }]);
    }
    plan = { kind: "fields", fields };
  } else {
    plan = { kind: "value", source: mapped.get("input")! };
  }
  return { ok: true, count, plan, elementwise };
}
