/**
 * `sluice flows` output for humans: a flow's parameters (from its JSON schema) and its tasks as a tree of
 * the DAG (a task with several upstream tasks is drawn under the first and names the others).
 */
import type { FlowDescription } from "../../core/flow.js";
import type { TaskDescription } from "../../core/graph-plan.js";

interface JsonSchemaProperty {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaProperty[];
  items?: JsonSchemaProperty;
  default?: unknown;
  description?: string;
}

/** A JSON-schema type for humans: "number", "string[]", "\"a\" | \"b\"", "object". */
export function typeLabel(p: JsonSchemaProperty): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (p.const !== undefined) return JSON.stringify(p.const);
  if (p.anyOf) return p.anyOf.map(typeLabel).join(" | ");
  if (p.type === "array") return `${p.items ? typeLabel(p.items) : "unknown"}[]`;
  if (Array.isArray(p.type)) return p.type.join(" | ");
  return p.type ?? "any";
}

/** One line per parameter: name, type, default or "required", description. */
export function formatParameters(schema: FlowDescription["parameters"]): string[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchemaProperty>;
  const required = new Set((schema.required ?? []) as string[]);
  const names = Object.keys(properties);
  if (names.length === 0) return ["  parameters: none"];
  const width = Math.max(...names.map((n) => n.length));
  return [
    "  parameters:",
    ...names.map((name) => {
      const p = properties[name]!;
      const when = p.default !== undefined ? `default ${JSON.stringify(p.default)}` : required.has(name) ? "required" : "optional";
      return `    ${name.padEnd(width)}  ${typeLabel(p)}  (${when})${p.description ? `  ${p.description}` : ""}`;
    }),
  ];
}

/** The tasks as a tree: roots first, each task under its first upstream task, in definition order. */
export function formatTaskTree(tasks: readonly TaskDescription[], referenceTasks: readonly string[] = []): string[] {
  if (tasks.length === 0) return ["  tasks: none"];
  const children = new Map<string, TaskDescription[]>();
  for (const t of tasks) {
    const parent = t.upstream[0];
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), t]);
  }
  const label = (t: TaskDescription): string => {
    const notes: string[] = [];
    if (t.key !== t.name) notes.push(`task ${t.name}`);
    if (t.mapped) notes.push("mapped");
    if (t.retries > 0) notes.push(`retries ${t.retries}`);
    if (t.timeoutMs !== null) notes.push(`timeout ${t.timeoutMs} ms`);
    if (t.trigger !== "allSuccessful") notes.push(`trigger ${t.trigger}`);
    if (t.tags.length > 0) notes.push(`tags ${t.tags.join(",")}`);
    if (t.upstream.length > 1) notes.push(`also after ${t.upstream.slice(1).join(", ")}`);
    if (referenceTasks.includes(t.key)) notes.push("reference");
    return `${t.key}${notes.length ? `  (${notes.join("; ")})` : ""}${t.description ? `  ${t.description}` : ""}`;
  };
  const lines = ["  tasks:"];
  const walk = (t: TaskDescription, prefix: string, last: boolean, root: boolean): void => {
    lines.push(root ? `    ${label(t)}` : `    ${prefix}${last ? "└─ " : "├─ "}${label(t)}`);
    const kids = children.get(t.key) ?? [];
    const next = root ? "" : `${prefix}${last ? "   " : "│  "}`;
    kids.forEach((k, i) => walk(k, next, i === kids.length - 1, false));
  };
  for (const t of tasks) if (t.upstream.length === 0) walk(t, "", true, true);
  return lines;
}

export function formatFlow(d: FlowDescription): string[] {
  return [`flow "${d.name}"${d.description ? `: ${d.description}` : ""}`, ...formatParameters(d.parameters), ...formatTaskTree(d.tasks, d.referenceTasks)];
}
