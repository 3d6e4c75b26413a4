/**
 * The runner's bookkeeping for one flow run: a NodeRun per graph node and a TaskRunRecord per task run
 * (one per plain node; a parent plus one per child for a mapped node). O(1) work per run on every path.
 */
import type { TaskNode } from "../graph.js";
import type { State } from "../states.js";
import type { AnyTask } from "../task.js";

/** Where a mapped child's value for one mapped source comes from. */
export type ChildSource =
  | { readonly kind: "list"; readonly list: readonly unknown[] }
  /** Element-wise mapping over a mapped upstream node: child i takes that node's child i. */
  | { readonly kind: "children"; readonly nodeRun: NodeRun }
  /** An unmapped constant (already resolved): every child takes it whole. */
  | { readonly kind: "constant"; readonly value: unknown };

/** How to build each mapped child's input. */
export type MappingPlan =
  | { readonly kind: "value"; readonly source: ChildSource }
  | { readonly kind: "fields"; readonly fields: ReadonlyArray<readonly [name: string, source: ChildSource]> };

export class TaskRunRecord {
  state: State;
  /** Attempts made (task calls). */
  attempts = 0;
  /** Extra attempts granted by retry signals beyond the configured retries. */
  forcedRetries = 0;
  /** True while an attempt (or the cache lookup) is under way. */
  inFlight = false;
  /** The wait before the next attempt. */
  timer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly id: string,
    readonly nodeRun: NodeRun,
    readonly mapIndex: number | null,
    state: State,
  ) {
    this.state = state;
  }
}

export class NodeRun {
  readonly index: number;
  readonly key: string;
  readonly task: AnyTask;
  /** Upstream nodes not finished yet. */
  pending: number;
  readonly upstream: NodeRun[] = [];
  readonly downstream: NodeRun[] = [];
  /** The run of a plain node, or the parent run of a mapped node. */
  record!: TaskRunRecord;
  /** The children of a mapped node once expanded (null before, or when it did not expand). */
  children: TaskRunRecord[] | null = null;
  unfinishedChildren = 0;
  mapping: MappingPlan | null = null;
  /** Upstream nodes mapped over element-wise (their child i is an upstream of child i). */
  elementwise: NodeRun[] = [];
  finished = false;
  #list: unknown[] | undefined;

  constructor(readonly node: TaskNode) {
    this.index = node.index;
    this.key = node.key;
    this.task = node.task;
    this.pending = 0;
  }

  /** The node's value once finished: its result, or the list of its children's results (undefined where none). */
  value(): unknown {
    if (this.children === null) return this.record.state.name === "Success" ? this.record.state.result : undefined;
    return (this.#list ??= this.children.map((c) => (c.state.name === "Success" ? c.state.result : undefined)));
  }

  /** The states this node contributes to a downstream trigger: its children's, or its own. */
  statesForDownstream(out: State[]): void {
    if (this.children !== null && this.children.length > 0) for (const c of this.children) out.push(c.state);
    else out.push(this.record.state);
  }
}
