/**
 * A flow's graph: task nodes with stable keys, their argument templates, explicit upstream edges and
 * the flow's parameters. Built by the flow body (task calls) and by the imperative API (addTask,
 * setUpstream, bind). Keys are `name`, then `name-2`, `name-3`, ... in definition order, so every process
 * that imports the same module rebuilds the same graph and finds a node by key.
 */
import type { z } from "zod";
import type { GraphBuilder } from "./build-context.js";
import { SluiceError, showValue } from "./errors.js";
import { checkTemplate, fieldsTemplate, isPlainObject, NO_INPUT, refsOf, templateOf, type InputTemplate } from "./graph-input.js";
import { isRef, isUnmapped, makeRef, type Ref } from "./ref.js";
import { isTask, type AnyTask } from "./task.js";
import { zod } from "./zod.js";

/** One node of the graph: a call of a task. */
export interface TaskNode {
  /** Position in definition order (0-based). */
  readonly index: number;
  /** Stable key: `name`, `name-2`, ... */
  readonly key: string;
  readonly task: AnyTask;
  /** The argument as written. */
  input: InputTemplate;
  /** True when the node fans out over its input at run time. */
  mapped: boolean;
  /** Upstream keys that pass state only (from setUpstream), besides the refs in `input`. */
  readonly stateUpstream: Set<string>;
}

/** A task (its only node in this flow), a ref to a node, or a node key: how the imperative API names a node. */
export type NodeSelector = AnyTask | Ref | string;

/** A flow's parameter schema: a zod object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ParametersSchema = z.ZodObject<any>;

export class FlowGraph implements GraphBuilder {
  readonly nodes: TaskNode[] = [];
  readonly #byKey = new Map<string, TaskNode>();
  readonly #callsPerName = new Map<string, number>();
  /** The declared parameters; undefined while there are none, so a flow without parameters needs no zod. */
  #parameters: ParametersSchema | undefined;
  /** Bumped by every change, so compiled plans can be cached. */
  version = 0;

  constructor(
    readonly flowName: string,
    parameters: ParametersSchema | undefined,
  ) {
    this.#parameters = parameters;
  }

  /** The parameter schema (an empty zod object, made on first use, when none was declared). */
  get parameters(): ParametersSchema {
    return (this.#parameters ??= zod().object({}));
  }

  /** The declared parameter schema, or undefined when the flow has none (no zod needed). */
  get declaredParameters(): ParametersSchema | undefined {
    return this.#parameters;
  }

  #hasParameter(name: string): boolean {
    return name in (this.#parameters?.shape ?? {});
  }

  node(key: string): TaskNode | undefined {
    return this.#byKey.get(key);
  }

  /** Adds a parameter (imperative API); returns a ref to its value. */
  addParameter<T>(name: string, schema: z.ZodType<T>): Ref<T> {
    if (typeof name !== "string" || !/^[A-Za-z_$][\w$-]*$/.test(name)) {
      throw new SluiceError("INVALID_OPTION", `flow "${this.flowName}": parameter name ${showValue(name)} is not valid; use letters, digits, _ or -`, {
        field: "name",
        value: name,
      });
    }
    if (this.#hasParameter(name)) {
      throw new SluiceError("GRAPH_INVALID", `flow "${this.flowName}" already has a parameter "${name}"`, { field: name });
    }
    this.#parameters = this.parameters.extend({ [name]: schema });
    this.version++;
    return makeRef<T>("parameter", name, false, this.flowName);
  }

  /** One ref per parameter, for the flow body. */
  parameterRefs(): Record<string, Ref> {
    const refs: Record<string, Ref> = {};
    for (const name of Object.keys(this.#parameters?.shape ?? {})) refs[name] = makeRef("parameter", name, false, this.flowName);
    return Object.freeze(refs);
  }

  #newKey(name: string): string {
    let n = this.#callsPerName.get(name) ?? 0;
    let key: string;
    do {
      n++;
      key = n === 1 ? name : `${name}-${n}`;
    } while (this.#byKey.has(key));
    this.#callsPerName.set(name, n);
    return key;
  }

  #addNode(task: AnyTask, input: InputTemplate, mapped: boolean): TaskNode {
    const node: TaskNode = { index: this.nodes.length, key: this.#newKey(task.name), task, input, mapped, stateUpstream: new Set() };
    this.nodes.push(node);
    this.#byKey.set(node.key, node);
    this.version++;
    return node;
  }

  #refTo(node: TaskNode): Ref {
    return makeRef("task", node.key, node.mapped, this.flowName);
  }

  /** Checks that every ref of a template points into this flow. */
  #checkRefs(template: InputTemplate, where: string): void {
    for (const ref of refsOf(template)) {
      if (ref.flowName !== this.flowName) {
        throw new SluiceError("GRAPH_INVALID", `${where}: ${String(ref)} belongs to flow "${ref.flowName}", not "${this.flowName}"; refs cannot cross flows`, {
          field: ref.key,
        });
      }
      if (ref.source === "parameter" ? !this.#hasParameter(ref.key) : !this.#byKey.has(ref.key)) {
        throw new SluiceError("GRAPH_INVALID", `${where}: ${String(ref)} is not in flow "${this.flowName}"`, { field: ref.key });
      }
    }
  }

  /** Checks field names against the task's argument names (when known). */
  #checkNames(task: AnyTask, names: readonly string[], where: string): void {
    const allowed = task.argNames;
    if (!allowed) return;
    for (const name of names) {
      if (!allowed.includes(name)) {
        throw new SluiceError(
          "GRAPH_INVALID",
          `${where}: task "${task.name}" has no argument "${name}"; ` +
            (allowed.length === 0 ? "it takes no argument" : `its arguments are: ${allowed.join(", ")}`),
          { field: name, value: task.name },
        );
      }
    }
  }

  /** GraphBuilder: a task called inside the flow body. */
  addCall(taskObject: object, args: readonly unknown[], mapped: boolean): Ref {
    const task = taskObject as AnyTask;
    const where = `flow "${this.flowName}": ${task.name}${mapped ? ".map" : ""}(...)`;
    const template = templateOf(args, mapped, task.name);
    checkTemplate(template, mapped, task.name);
    this.#checkRefs(template, where);
    // Calls are typed by TypeScript; at run time only a schema's names are certain (a destructuring may
    // read fewer fields than the call passes, e.g. to add a dependency), so inferred names are checked by bind() only.
    if (template.kind === "fields" && task.options.input) this.#checkNames(task, Object.keys(template.fields), where);
    return this.#refTo(this.#addNode(task, template, mapped));
  }

  /** The node a selector names; with `create`, a task not yet in the flow gets a node without input. */
  select(selector: NodeSelector, create: boolean, role: string): TaskNode {
    if (typeof selector === "string") {
      const node = this.#byKey.get(selector);
      if (!node) {
        throw new SluiceError(
          "GRAPH_INVALID",
          `flow "${this.flowName}": ${role} "${selector}" is not a task key of this flow; its keys are: ${this.nodes.map((n) => n.key).join(", ") || "(none)"}`,
          { field: selector },
        );
      }
      return node;
    }
    if (isRef(selector)) {
      const node = selector.source === "task" && selector.flowName === this.flowName ? this.#byKey.get(selector.key) : undefined;
      if (!node)
        throw new SluiceError("GRAPH_INVALID", `flow "${this.flowName}": ${role} ${String(selector)} is not a task of this flow`, { field: selector.key });
      return node;
    }
    if (!isTask(selector)) {
      throw new SluiceError("GRAPH_INVALID", `flow "${this.flowName}": ${role} is ${showValue(selector)}; pass a task or a ref returned by a task call`, {
        field: role,
      });
    }
    const matches = this.nodes.filter((n) => n.task === selector);
    if (matches.length > 1) {
      throw new SluiceError(
        "GRAPH_INVALID",
        `flow "${this.flowName}": task "${selector.name}" has ${matches.length} nodes (${matches.map((n) => n.key).join(", ")}); pass the ref of the one you mean`,
        { field: selector.name },
      );
    }
    if (matches[0]) return matches[0];
    if (!create) throw new SluiceError("GRAPH_INVALID", `flow "${this.flowName}" has no task "${selector.name}"`, { field: selector.name });
    return this.#addNode(selector, NO_INPUT, false);
  }

  /** Imperative: adds a task (once) and returns the ref of its node. */
  addTask(task: AnyTask): Ref {
    return this.#refTo(this.select(task, true, "task"));
  }

  /** Imperative: `task` runs after `upstream` (state dependency only; the trigger sees upstream's state). */
  setUpstream(task: NodeSelector, upstream: NodeSelector): void {
    const node = this.select(task, true, "task");
    const up = this.select(upstream, true, "upstream");
    node.stateUpstream.add(up.key);
    this.version++;
  }

  /**
   * Imperative: binds arguments of `task` by name. Each value may be a plain value, a ref, or a task
   * (its node's result). With `mapped`, the node maps over every field not wrapped in `unmapped()`.
   */
  bind(task: NodeSelector, args: Record<string, unknown>, options: { mapped?: boolean } = {}): void {
    const node = this.select(task, true, "task");
    const where = `flow "${this.flowName}": bind(${node.key})`;
    if (!isPlainObject(args)) {
      throw new SluiceError("GRAPH_INVALID", `${where}: arguments are ${showValue(args)}; pass an object { argumentName: value | ref | task }`, {
        field: node.key,
      });
    }
    this.#checkNames(node.task, Object.keys(args), where);
    if (node.input.kind === "value") {
      throw new SluiceError("GRAPH_INVALID", `${where}: the task was called with a whole (non-object) argument; bind fields only to tasks taking an object`, {
        field: node.key,
      });
    }
    const fields: Record<string, unknown> = node.input.kind === "fields" ? { ...node.input.fields } : {};
    for (const [name, value] of Object.entries(args)) {
      if (isTask(value)) fields[name] = this.addTask(value);
      else if (isUnmapped(value) && isTask(value.value)) fields[name] = { ...value, value: this.addTask(value.value) };
      else fields[name] = value;
    }
    const mapped = options.mapped ?? node.mapped;
    const template = fieldsTemplate(fields, where);
    checkTemplate(template, mapped, node.key);
    this.#checkRefs(template, where);
    node.input = template;
    node.mapped = mapped;
    this.version++;
  }
}
