/**
 * Checks a Job manifest against the Kubernetes OpenAPI schema shipped in `kubernetes-models` (wrong JSON
 * types, missing required fields, values outside an enum, malformed quantities), and turns the schema
 * errors into problems with Kubernetes field paths, e.g. `spec.template.spec.containers[0].env[1].value`.
 */
import { createRequire } from "node:module";
import type { Job as JobModel } from "kubernetes-models/batch/v1/Job";

// Loaded on first use, synchronously (construction of an environment is synchronous): importing Sluice
// must not pay for the schema validators of environments it does not use.
const require = createRequire(import.meta.url);
let jobModel: typeof JobModel | undefined;
const Job = (): typeof JobModel => (jobModel ??= (require("kubernetes-models/batch/v1/Job") as { Job: typeof JobModel }).Job);

/** One problem of a manifest: where (a Kubernetes field path and its path segments) and what. */
export interface ManifestProblem {
  /** e.g. "spec.template.spec.containers[0].resources.limits.cpu". */
  field: string;
  /** The same path as segments, e.g. ["spec", "template", "spec", "containers", 0, ...]. */
  path: (string | number)[];
  /** What is wrong and how to fix it, e.g. "must be a string (quote it in the YAML: \"1\")". */
  problem: string;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/spec/containers/0/name` → ["spec", "containers", 0, "name"] (JSON pointer unescaped). */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** ["spec", "containers", 0, "name"] → "spec.containers[0].name". */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? (out === "" ? part : `.${part}`) : `[${JSON.stringify(part)}]`;
  }
  return out || "(root)";
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

function describeTypes(types: string[], value: unknown): string {
  const wanted = [...new Set(types)].map((t) => (t === "array" ? "list" : t === "object" ? "mapping" : t));
  let text = `must be ${wanted.map(article).join(" or ")}`;
  if (wanted.length === 1 && wanted[0] === "string" && (typeof value === "number" || typeof value === "boolean")) {
    text += ` (quote it in the YAML: "${String(value)}")`;
  }
  return text;
}

/** Groups schema errors by path and words them; the first path reported by the validator comes first. */
function toProblems(errors: readonly SchemaError[], manifest: unknown): ManifestProblem[] {
  const byPointer = new Map<string, SchemaError[]>();
  for (const e of errors) {
    const list = byPointer.get(e.instancePath) ?? [];
    list.push(e);
    byPointer.set(e.instancePath, list);
  }
  const problems: ManifestProblem[] = [];
  for (const [pointer, list] of byPointer) {
    const basePath = pointerToPath(pointer);
    const value = valueAt(manifest, basePath);
    const types = list.filter((e) => e.keyword === "type").map((e) => String(e.params.type));
    const required = list.filter((e) => e.keyword === "required").map((e) => String(e.params.missingProperty));
    const enums = list.find((e) => e.keyword === "enum");
    const formats = list.find((e) => e.keyword === "format");
    for (const missing of required) {
      problems.push({ field: fieldPath([...basePath, missing]), path: [...basePath, missing], problem: "is required but missing: add it" });
    }
    let problem: string | undefined;
    if (types.length > 0) problem = describeTypes(types, value);
    else if (enums) problem = `must be one of ${(enums.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    else if (formats) problem = `must be in the ${String(formats.params.format)} format`;
    else if (required.length === 0) problem = list.map((e) => e.message ?? e.keyword).join("; ");
    if (problem) problems.push({ field: fieldPath(basePath), path: basePath, problem });
  }
  return problems;
}

/** The problems the Kubernetes schema finds in a Job manifest (empty when it is valid). */
export function checkJobSchema(manifest: Record<string, unknown>): ManifestProblem[] {
  try {
    const Model = Job();
    new Model(manifest as ConstructorParameters<typeof JobModel>[0]).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return toProblems(errors, manifest);
  }
}
