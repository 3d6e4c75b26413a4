/**
 * `task(name, fn, options?)`: an async function with run options. Called inside a flow body, a task adds
 * a node to the flow's graph and returns a typed `Ref` of its result; `task.map(list)` adds a mapped node
 * that fans out over the list at run time.
 *
 * A task takes ONE argument. Object arguments make binding by name natural:
 *
 * ```ts
 * const extract = task("extract", async () => [1, 2, 3]);
 * const scale = task("scale", async ({ x, factor }: { x: number; factor: number }) => x * factor);
 * const total = task("total", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));
 *
 * flow("etl", {}, () => {
 *   const xs = extract();                                  // Ref<number[]>
 *   const ys = scale.map({ x: xs, factor: unmapped(10) }); // Ref<number[]>, one child per element
 *   return total(ys);                                      // reduce: receives the whole list
 * });
 * ```
 */
import { inferArgNames, schemaArgNames } from "./arg-names.js";
import { requireBuilder } from "./build-context.js";
import { SluiceError, showValue } from "./errors.js";
import type { CallArgs, MapInput, Ref } from "./ref.js";
import type { TaskContext } from "./task-context.js";
import { compileTaskOptions, type CompiledTaskOptions, type TaskOptions } from "./task-options.js";

const TASK: unique symbol = Symbol.for("sluice.task");

/** The function of a task: its one argument and the attempt's context. */
export type TaskFn<I, R> = (input: I, ctx: TaskContext) => R | Promise<R>;

/** A task. Call it inside a flow body to add a node; `.map()` adds a mapped node. */
export interface Task<I = void, R = unknown> {
  /** Adds a node calling this task with `input` (values and/or refs) and returns a ref to its result. */
  (...args: CallArgs<I>): Ref<R>;
  /**
   * Adds a mapped node: one child run per element of the list (or, for object arguments, per index of the
   * mapped fields, which must have equal lengths; `unmapped()` fields are passed whole). Mapping over a
   * mapped ref maps element-wise. The ref stands for the list of the children's results, in order.
   */
  map(input: MapInput<I>): Ref<R[]>;
  readonly [TASK]: true;
  /** The task's name (also the base of its node keys). */
  readonly name: string;
  /** The task's function, callable directly (e.g. in unit tests). */
  readonly fn: TaskFn<I, R>;
  /** The validated options with defaults. */
  readonly options: CompiledTaskOptions;
  /** The argument names `flow.bind` accepts, or null when they cannot be known (any name is accepted). */
  readonly argNames: readonly string[] | null;
}

/** A task of any input and result type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTask = Task<any, any>;

export function isTask(value: unknown): value is AnyTask {
  return typeof value === "function" && (value as { [TASK]?: unknown })[TASK] === true;
}

/**
 * Defines a task.
 *
 * @param name A non-empty name; node keys derive from it (`name`, `name-2`, ... in definition order).
 * @param fn `async (input, ctx) => result`. The input is the task's one argument.
 * @param options Run options (retries, timeout, trigger, cache, ...): see {@link TaskOptions}.
 */
export function task<R, I = void>(name: string, fn: (input: I, ctx: TaskContext) => R, options?: TaskOptions<I>): Task<I, Awaited<R>> {
  if (typeof name !== "string" || name.trim().length === 0) {
    throw new SluiceError("INVALID_OPTION", `task name is ${showValue(name)}; give every task a non-empty name, e.g. task("extract", fn)`, {
      field: "name",
      value: name,
    });
  }
  if (typeof fn !== "function") {
    throw new SluiceError("INVALID_OPTION", `task "${name}": the function is ${showValue(fn)}; pass an async function (input, ctx) => result`, {
      field: "fn",
      value: fn,
    });
  }
  const compiled = compileTaskOptions(name, options as TaskOptions<never> | undefined);
  const argNames = schemaArgNames(compiled.input) ?? inferArgNames(fn as (...args: never[]) => unknown);
  const self = function callTask(...args: unknown[]): Ref {
    return requireBuilder(name).addCall(self, args, false);
  } as unknown as Task<I, Awaited<R>>;
  const map = (input: unknown): Ref => requireBuilder(name).addCall(self, [input], true);
  Object.defineProperties(self, {
    name: { value: name },
    [TASK]: { value: true },
    fn: { value: fn },
    options: { value: compiled },
    argNames: { value: argNames ? Object.freeze(argNames) : null },
    map: { value: map },
  });
  return self;
}
