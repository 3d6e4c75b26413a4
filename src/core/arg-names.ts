/**
 * Argument names of a task, for validating `flow.bind(task, { name: ... })`. A task's `input` schema
 * gives them when present; otherwise they are read from the function's source when its first parameter
 * is destructured (`({ value, limit = 10 }) => ...`). When neither is possible the names are unknown
 * (null) and any name is accepted.
 */
import type { z } from "zod";

const IDENT = /^(?:[A-Za-z_$][\w$]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/;
const SINGLE_IDENT_ARROW = /^(?:async\s*)?[A-Za-z_$][\w$]*\s*=>/;

/** Index of the bracket closing the one at `open`, skipping strings, template literals and nesting. */
function matching(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < source.length && source[i] !== c; i++) if (source[i] === "\\") i++;
    } else if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits `a, b = f(1, 2), c: { d }` at the commas outside brackets and strings. */
function splitTopLevel(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < source.length && source[i] !== c; i++) if (source[i] === "\\") i++;
    } else if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/**
 * The names destructured by a function's first parameter, [] for a function without parameters, or
 * null when they cannot be known (a plain parameter, a rest element, a computed key, native code).
 */
export function inferArgNames(fn: (...args: never[]) => unknown): string[] | null {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn).trim();
  } catch {
    return null;
  }
  if (SINGLE_IDENT_ARROW.test(source) || source.endsWith("{ [native code] }")) return null;
  const open = source.indexOf("(");
  if (open < 0) return null;
  let i = open + 1;
  while (i < source.length && /\s/.test(source[i]!)) i++;
  if (source[i] === ")") return [];
  if (source[i] !== "{") return null;
  const close = matching(source, i);
  if (close < 0) return null;
  const names: string[] = [];
  for (const entry of splitTopLevel(source.slice(i + 1, close))) {
    if (entry.startsWith("...") || entry.startsWith("[")) return null;
    const m = IDENT.exec(entry);
    if (!m) return null;
    const name = m[0];
    names.push(name.startsWith('"') || name.startsWith("'") ? (JSON.parse(name.replace(/^'|'$/g, '"')) as string) : name);
  }
  return names;
}

/** The field names of a zod object schema, or null for any other schema. */
export function schemaArgNames(schema: z.ZodType | undefined): string[] | null {
  const shape = (schema as { shape?: unknown } | undefined)?.shape;
  return shape && typeof shape === "object" ? Object.keys(shape) : null;
}
