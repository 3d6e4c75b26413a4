/**
 * Label selectors (`labelSelector=`) and field selectors (`fieldSelector=`) with the grammar of
 * k8s.io/apimachinery: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, joined by commas.
 */
import { badRequest } from "./status.js";

type Requirement =
  { key: string; op: "=" | "!="; values: [string] } | { key: string; op: "in" | "notin"; values: string[] } | { key: string; op: "exists" | "!" };

export type Selector = (labels: Record<string, string> | undefined) => boolean;

const keyPattern = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim());
}

function checkKey(key: string, whole: string): string {
  if (!keyPattern.test(key) || key.length > 316) {
    throw badRequest(`unable to parse requirement: found '${key}', expected: identifier (in selector "${whole}")`);
  }
  return key;
}

function checkValue(value: string, key: string): string {
  if (value.length > 63 || !valuePattern.test(value)) {
    throw badRequest(
      `unable to parse requirement: values[0][${key}]: Invalid value: ${JSON.stringify(value)}: ` +
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return value;
}

function parseTerm(term: string, whole: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { key: checkKey(m[1]!, whole), op: "!" };
  m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (m) {
    const key = checkKey(m[1]!, whole);
    const values = m[3]!.split(",").map((v) => checkValue(v.trim(), key));
    if (m[3]!.trim() === "") throw badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty (in selector "${whole}")`);
    return { key, op: m[2] as "in" | "notin", values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) {
    const key = checkKey(m[1]!, whole);
    return { key, op: m[2] === "!=" ? "!=" : "=", values: [checkValue(m[3]!, key)] };
  }
  if (/^\S+$/.test(term)) return { key: checkKey(term, whole), op: "exists" };
  throw badRequest(`unable to parse requirement: invalid label selector term "${term}" (in selector "${whole}")`);
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case "exists":
      return has;
    case "!":
      return !has;
    case "=":
      return has && value === req.values[0];
    case "!=":
      return !has || value !== req.values[0];
    case "in":
      return has && req.values.includes(value!);
    case "notin":
      return !has || !req.values.includes(value!);
  }
}

/** Parses a label selector string; an empty or missing selector matches everything. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text || text.trim() === "") return () => true;
  const reqs = splitTerms(text)
    .filter((t) => t !== "")
    .map((t) => parseTerm(t, text));
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

/** A `metav1.LabelSelector` object (matchLabels + matchExpressions) as a predicate. */
export function labelSelectorFromObject(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: { key: string; operator: string; values?: string[] }[];
      }
    | undefined,
): Selector {
  if (!sel) return () => false;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: "=", values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator;
    if (op === "In") reqs.push({ key: e.key, op: "in", values: e.values ?? [] });
    else if (op === "NotIn") reqs.push({ key: e.key, op: "notin", values: e.values ?? [] });
    else if (op === "Exists") reqs.push({ key: e.key, op: "exists" });
    else reqs.push({ key: e.key, op: "!" });
  }
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

/**
 * Parses a field selector against the fields a resource supports; an unknown field is a 400 as on a
 * real server.
 */
export function parseFieldSelector(text: string | null | undefined, supported: readonly string[]): FieldRequirement[] {
  if (!text || text.trim() === "") return [];
  return text.split(",").map((term) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = m[1]!;
    if (!supported.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { field, value: m[3]!, negate: m[2] === "!=" };
  });
}

export function fieldsMatch(reqs: readonly FieldRequirement[], fields: Record<string, string>): boolean {
  return reqs.every((r) => ((fields[r.field] ?? "") === r.value) !== r.negate);
}
