/**
 * References between the nodes of a flow's graph. Calling a task inside a flow body does not run it: it
 * adds a node to the graph and returns a `Ref<R>`, a typed promise of the task's result that other calls
 * take as (part of) their argument. The runner resolves refs to values at run time.
 */

const REF: unique symbol = Symbol.for("sluice.ref");
const UNMAPPED: unique symbol = Symbol.for("sluice.unmapped");
/** Carries the value type of a Ref at compile time only; never present at run time. */
declare const VALUE_TYPE: unique symbol;

/**
 * The future result of a task node (`source: "task"`) or the value of a flow parameter
 * (`source: "parameter"`). A ref to a mapped node stands for the list of its children's results, in order.
 */
export interface Ref<T = unknown> {
  readonly [REF]: true;
  /** Where the value comes from. */
  readonly source: "task" | "parameter";
  /** The node's key (source "task") or the parameter's name (source "parameter"). */
  readonly key: string;
  /** True when the node is mapped: its value is the list of its children's results. */
  readonly mapped: boolean;
  /** Name of the flow whose graph holds the node. */
  readonly flowName: string;
  /** Compile-time marker of the value type. */
  readonly [VALUE_TYPE]?: () => T;
}

class RefImpl<T> implements Ref<T> {
  readonly [REF] = true as const;
  constructor(
    readonly source: "task" | "parameter",
    readonly key: string,
    readonly mapped: boolean,
    readonly flowName: string,
  ) {}

  toString(): string {
    return `Ref(${this.source === "parameter" ? "parameter " : ""}${this.key})`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** @internal Creates a ref; only the graph builder calls this. */
export function makeRef<T>(source: "task" | "parameter", key: string, mapped: boolean, flowName: string): Ref<T> {
  return new RefImpl<T>(source, key, mapped, flowName);
}

/** True for refs made by any copy of Sluice loaded in this process. */
export function isRef(value: unknown): value is Ref {
  return typeof value === "object" && value !== null && (value as { [REF]?: unknown })[REF] === true;
}

/** A constant given to `task.map(...)`: passed whole to every child instead of being mapped over. */
export interface Unmapped<T = unknown> {
  readonly [UNMAPPED]: true;
  readonly value: T | Ref<T>;
}

/**
 * Marks a field of `task.map({...})` as constant: every child receives the whole value (or the resolved
 * value of a ref) instead of one element of it.
 *
 * @example
 * scale.map({ x: numbers, factor: unmapped(2) })
 */
export function unmapped<T>(value: T | Ref<T>): Unmapped<T> {
  return { [UNMAPPED]: true, value };
}

export function isUnmapped(value: unknown): value is Unmapped {
  return typeof value === "object" && value !== null && (value as { [UNMAPPED]?: unknown })[UNMAPPED] === true;
}

/** Objects whose fields may each be a value or a ref (plain objects, not arrays, functions or class instances). */
type IsPlainObject<I> = I extends readonly unknown[] ? false : I extends (...args: never[]) => unknown ? false : I extends object ? true : false;

/** For a list type, a literal list whose elements are values or refs. */
type ListOfRefs<V> = V extends readonly (infer E)[] ? readonly (E | Ref<E>)[] : never;

/** A field of an object argument: a value, a ref, or (list fields) a list of values and refs. */
export type FieldValue<V> = V | Ref<V> | ListOfRefs<V>;

/**
 * What a task taking `I` may be called with inside a flow body: the value, a ref to it, a list of values
 * and refs (list arguments), or an object whose fields are values, refs or lists of them (object arguments).
 */
export type Bindable<I> = I | Ref<I> | ListOfRefs<I> | (IsPlainObject<I> extends true ? { [K in keyof I]: FieldValue<I[K]> } : never);

/** A field of an object argument given to `task.map(...)`: a list to map over, a ref to a list, or an `unmapped()` constant. */
export type MapField<V> = readonly (V | Ref<V>)[] | Ref<readonly V[]> | Unmapped<V>;

/** What `task.map(...)` takes for a task taking `I`: a list, a ref to a list, or (object arguments) an object of mapped fields and `unmapped()` constants. */
export type MapInput<I> = readonly (I | Ref<I>)[] | Ref<readonly I[]> | (IsPlainObject<I> extends true ? { [K in keyof I]: MapField<I[K]> } : never);

/** The arguments of a task call: none for tasks without input, optional when the input may be undefined. */
export type CallArgs<I> = [I] extends [void] ? [] : [undefined] extends [I] ? [input?: Bindable<I>] : [input: Bindable<I>];

/** The run-time value of something a flow body returned: refs replaced by their values, recursively. */
export type Resolved<R> =
  R extends Ref<infer T>
    ? T
    : R extends readonly unknown[]
      ? { [K in keyof R]: Resolved<R[K]> }
      : IsPlainObject<R> extends true
        ? { [K in keyof R]: Resolved<R[K]> }
        : R;

/** The refs a flow body receives for its parameters: one per field of the parameter schema's output. */
export type ParameterRefs<P> = { readonly [K in keyof P]-?: Ref<P[K]> };
