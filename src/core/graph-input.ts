/**
 * A node's argument as written in the flow (a template): nothing, one value-or-ref, or an object whose
 * fields are values, refs or (mapped nodes) `unmapped()` constants. The runner resolves a template to
 * the task's actual input for each run.
 *
 * Where refs may appear: the argument itself, its elements when it is a list, its fields when it is a
 * plain object, and the elements of a field that is a list. A ref nested deeper is a GRAPH_INVALID error
 * at definition time (it would otherwise reach the task unresolved).
 */
import { SluiceError, showValue } from "./errors.js";
import { isRef, isUnmapped, type Ref } from "./ref.js";

export type InputTemplate =
  | { readonly kind: "none" }
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "fields"; readonly fields: Readonly<Record<string, unknown>> };

export const NO_INPUT: InputTemplate = Object.freeze({ kind: "none" });

/** A literal list that holds refs: resolved element by element. */
export class RefList {
  constructor(readonly items: readonly unknown[]) {}
}

/** Wraps a literal list holding refs so resolution need not scan lists for refs at run time. */
function prepare(value: unknown): unknown {
  if (Array.isArray(value) && value.some(isRef)) return new RefList(value);
  if (isUnmapped(value)) {
    const inner = prepare(value.value);
    return inner === value.value ? value : { ...value, value: inner };
  }
  return value;
}

/** Throws when a ref hides deeper than where refs are resolved. */
function rejectDeepRefs(value: unknown, path: string, where: string, depth = 0): void {
  if (depth > 0 && isRef(value)) {
    throw new SluiceError(
      "GRAPH_INVALID",
      `${where}: ${String(value)} is nested at ${path}, where refs are not resolved; pass refs as the argument, as its elements or fields, or as elements of a list field`,
      { field: path },
    );
  }
  if (depth > 4 || value === null || typeof value !== "object" || isRef(value)) return;
  if (Array.isArray(value)) value.forEach((v, i) => rejectDeepRefs(v, `${path}[${i}]`, where, depth + 1));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) rejectDeepRefs(v, `${path}.${k}`, where, depth + 1);
}

/** Checks the positions of refs in a prepared value: itself, or the elements of a RefList. */
function checkNesting(value: unknown, path: string, where: string): void {
  const inner = isUnmapped(value) ? value.value : value;
  if (inner instanceof RefList) inner.items.forEach((v, i) => !isRef(v) && rejectDeepRefs(v, `${path}[${i}]`, where, 1));
  else if (!isRef(inner)) rejectDeepRefs(inner, path, where, Array.isArray(inner) ? 0 : 1);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Builds the template of a call's arguments (zero or one). */
export function templateOf(args: readonly unknown[], mapped: boolean, where: string): InputTemplate {
  const template = rawTemplateOf(args, mapped, where);
  if (template.kind === "value") checkNesting(template.value, "input", where);
  if (template.kind === "fields") for (const [name, v] of Object.entries(template.fields)) checkNesting(v, name, where);
  return template;
}

/** A bind's fields, prepared and checked like a call's. */
export function fieldsTemplate(fields: Record<string, unknown>, where: string): InputTemplate {
  const prepared: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(fields)) {
    prepared[name] = prepare(v);
    checkNesting(prepared[name], name, where);
  }
  return { kind: "fields", fields: prepared };
}

function rawTemplateOf(args: readonly unknown[], mapped: boolean, where: string): InputTemplate {
  if (args.length > 1) {
    throw new SluiceError("GRAPH_INVALID", `${where} was called with ${args.length} arguments; a task takes one argument (use an object for several values)`, {
      field: where,
    });
  }
  if (args.length === 0) return NO_INPUT;
  const value = args[0];
  if (isPlainObject(value) && !isRef(value) && (mapped || Object.values(value).some((v) => isRef(v) || isUnmapped(v) || (Array.isArray(v) && v.some(isRef))))) {
    const fields: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) fields[name] = prepare(v);
    return { kind: "fields", fields };
  }
  return { kind: "value", value: prepare(value) };
}

/** Every ref a template holds (top level, fields, unmapped constants). */
export function refsOf(template: InputTemplate): Ref[] {
  const out: Ref[] = [];
  const visit = (v: unknown): void => {
    if (isRef(v)) out.push(v);
    else if (v instanceof RefList) for (const item of v.items) visit(item);
    else if (isUnmapped(v)) visit(v.value);
  };
  if (template.kind === "value") visit(template.value);
  else if (template.kind === "fields") for (const v of Object.values(template.fields)) visit(v);
  return out;
}

/** The sources a mapped node maps over: `[label, value-or-ref]` for the whole value or each non-unmapped field. */
export function mappedSources(template: InputTemplate): Array<[label: string, source: unknown]> {
  if (template.kind === "value") return [["input", template.value]];
  if (template.kind === "fields") return Object.entries(template.fields).filter(([, v]) => !isUnmapped(v));
  return [];
}

/** Checks at definition time what can be checked of a template: mapping over lists, unmapped() placement. */
export function checkTemplate(template: InputTemplate, mapped: boolean, where: string): void {
  if (!mapped) {
    if (template.kind === "fields") {
      for (const [name, v] of Object.entries(template.fields)) {
        if (isUnmapped(v)) {
          throw new SluiceError("GRAPH_INVALID", `${where}: field "${name}" is unmapped(...), which only makes sense in task.map(...); pass the value itself`, {
            field: name,
          });
        }
      }
    }
    if (template.kind === "value" && isUnmapped(template.value)) {
      throw new SluiceError("GRAPH_INVALID", `${where}: unmapped(...) only makes sense for fields of task.map({ ... })`, { field: where });
    }
    return;
  }
  if (template.kind === "none") {
    throw new SluiceError("GRAPH_INVALID", `${where}.map() needs a list, a ref to a list, or an object of lists to map over`, { field: where });
  }
  const sources = mappedSources(template);
  if (sources.length === 0) {
    throw new SluiceError("GRAPH_INVALID", `${where}.map({...}): every field is unmapped(); map over at least one list field`, { field: where });
  }
  const literalLengths: Array<[string, number]> = [];
  for (const [label, source] of sources) {
    if (isRef(source)) continue;
    if (source instanceof RefList) {
      literalLengths.push([label, source.items.length]);
      continue;
    }
    if (!Array.isArray(source)) {
      throw new SluiceError(
        "GRAPH_INVALID",
        `${where}.map(): ${label === "input" ? "the input" : `field "${label}"`} is ${showValue(source)}, not a list; map over a list or a ref to one${label === "input" ? "" : `, or wrap a constant in unmapped()`}`,
        { field: label, value: source },
      );
    }
    literalLengths.push([label, source.length]);
  }
  const distinct = new Set(literalLengths.map(([, n]) => n));
  if (distinct.size > 1) {
    throw new SluiceError(
      "GRAPH_INVALID",
      `${where}.map(): mapped fields have different lengths (${literalLengths.map(([l, n]) => `${l}: ${n}`).join(", ")}); give them equal lengths or wrap constants in unmapped()`,
      { field: literalLengths.map(([l]) => l).join(",") },
    );
  }
}
