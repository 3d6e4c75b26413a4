/**
 * Comparing the task definition AWS describes with the one a flow would register, and the content key
 * derived from a definition. Both work on a normal form that leaves out what AWS fills in or rewrites:
 * revision, status, ARNs and registration fields, compatibilities and required attributes, the default
 * network mode ("bridge"), container defaults (essential true, cpu 0, empty lists), role ARNs against
 * their short names, task sizes written as "1 vCPU" / "2GB", port mappings' default protocol and host
 * port; environment, secrets, mount points and port mappings are compared as sets.
 */
import { createHash } from "node:crypto";
import { SluiceError, showValue } from "../../core/errors.js";
import { FAMILY_PREFIX, familySlug } from "./names.js";

type Json = Record<string, unknown>;

/** Fields AWS adds to a registered definition, never part of what a flow asks for. */
const FILLED_BY_AWS = [
  "taskDefinitionArn",
  "revision",
  "status",
  "requiresAttributes",
  "compatibilities",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
  "tags",
];

const roleName = (value: unknown): unknown => (typeof value === "string" && value.startsWith("arn:") ? value.split("/").pop() : value);

function size(value: unknown, unit: "vCPU" | "GB"): unknown {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string") return value;
  const m = new RegExp(`^(\\d+(?:\\.\\d+)?) ?${unit}$`, "i").exec(value.trim());
  return m ? String(Math.round(Number(m[1]) * 1024)) : value.trim();
}

const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
const byName = (a: unknown, b: unknown) => String((a as Json).name).localeCompare(String((b as Json).name));

/** Drops undefined members, empty lists and empty objects, recursively. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    const p = prune(v);
    if (p === undefined || (Array.isArray(p) && p.length === 0)) continue;
    if (typeof p === "object" && p !== null && !Array.isArray(p) && !(p instanceof Date) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return out;
}

function normalContainer(container: Json, networkMode: string): Json {
  const c: Json = { ...container };
  if (c.essential === undefined) c.essential = true;
  if (c.cpu === 0) delete c.cpu;
  if (Array.isArray(c.environment)) c.environment = [...(c.environment as Json[])].sort(byName);
  if (Array.isArray(c.secrets)) c.secrets = [...(c.secrets as Json[])].sort(byName);
  if (Array.isArray(c.mountPoints)) c.mountPoints = [...(c.mountPoints as Json[])].map((m) => ({ readOnly: false, ...m })).sort(byJson);
  if (Array.isArray(c.portMappings)) {
    c.portMappings = (c.portMappings as Json[])
      .map((p) => ({ protocol: "tcp", ...(networkMode === "awsvpc" || networkMode === "host" ? { hostPort: p.containerPort } : {}), ...p }))
      .sort(byJson);
  }
  return c;
}

/** The normal form of a definition (described or to be registered); `family` is kept. */
export function normalizeDefinition(definition: Readonly<Json>): Json {
  const d: Json = structuredClone(definition) as Json;
  for (const key of FILLED_BY_AWS) delete d[key];
  d.networkMode ??= "bridge";
  if (d.taskRoleArn !== undefined) d.taskRoleArn = roleName(d.taskRoleArn);
  if (d.executionRoleArn !== undefined) d.executionRoleArn = roleName(d.executionRoleArn);
  if (d.cpu !== undefined) d.cpu = size(d.cpu, "vCPU");
  if (d.memory !== undefined) d.memory = size(d.memory, "GB");
  if (Array.isArray(d.requiresCompatibilities)) d.requiresCompatibilities = [...(d.requiresCompatibilities as string[])].sort();
  d.containerDefinitions = ((d.containerDefinitions as Json[] | undefined) ?? []).map((c) => normalContainer(c, d.networkMode as string));
  return prune(d) as Json;
}

/** Sorted keys, so equal content always gives the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`)
    .join(",")}}`;
}

/** A short hash of what the definition asks for (family excluded): equal content, equal key. */
export function definitionContentKey(definition: Readonly<Json>): string {
  const { family: _family, ...rest } = normalizeDefinition(definition);
  return createHash("sha256").update(canonical(rest)).digest("hex").slice(0, 12);
}

/**
 * The family of a definition whose options name none: `sluice-<flow name slug>-<content key>`, so the runs
 * of one flow version share one family (and one revision), and any change gets a new family.
 */
export function familyFor(flowName: string, definition: Readonly<Json>): string {
  const slug = familySlug(flowName) || "flow";
  return `${FAMILY_PREFIX}-${slug}-${definitionContentKey(definition)}`;
}

/** Readable value for a diff line. */
const shown = (value: unknown): string => (value === undefined ? "(not set)" : showValue(value, 120));

function diff(registered: unknown, wanted: unknown, path: string, out: string[]): void {
  if (canonical(registered) === canonical(wanted)) return;
  const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
  const named = (v: unknown): v is Json[] => Array.isArray(v) && v.length > 0 && v.every((x) => isObject(x) && typeof x.name === "string");
  if (named(registered) && named(wanted)) {
    const names = [...new Set([...registered, ...wanted].map((x) => x.name as string))];
    for (const name of names)
      diff(
        registered.find((x) => x.name === name),
        wanted.find((x) => x.name === name),
        `${path}[${name}]`,
        out,
      );
    return;
  }
  if (isObject(registered) && isObject(wanted)) {
    for (const key of [...new Set([...Object.keys(registered), ...Object.keys(wanted)])].sort()) {
      diff(registered[key], wanted[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  out.push(`${path}: registered ${shown(registered)}, this flow ${shown(wanted)}`);
}

/** The differences between a described definition and the one the flow would register, one line each (empty when they match). */
export function compareDefinitions(registered: Readonly<Json>, wanted: Readonly<Json>): string[] {
  const out: string[] = [];
  diff(normalizeDefinition(registered), normalizeDefinition(wanted), "", out);
  return out;
}

/** The error of a family whose latest revision differs from what the flow would register. */
export function definitionMismatch(family: string, revision: unknown, differences: readonly string[]): SluiceError {
  return new SluiceError(
    "CONFLICT",
    `task definition ${family}:${String(revision)} differs from the one this flow would register:\n  ${differences.join("\n  ")}\n` +
      `Sluice does not register over a family it did not derive. Either remove the option family (Sluice then derives a family from the definition's content, one per flow version), ` +
      `or name a new family, or deregister ${family} revisions that no longer match (aws ecs deregister-task-definition --task-definition ${family}:${String(revision)}).`,
    { field: "family", value: family, kind: "fargate-task" },
  );
}
