/**
 * The official AWS service models (botocore's `service-2.json`), read at run time from the python3-botocore
 * installation, and a validator that checks a request body against an operation's input shape the way
 * AWS's front end does: types, required members, enums, lengths, ranges, patterns, and members the model
 * does not know. The models are never copied into the repository; when botocore is missing the stand-in
 * cannot start, and its suites are skipped with the reason.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

export type ServiceName = "ecs" | "logs";

const MODEL_PATHS: Record<ServiceName, string> = {
  ecs: "ecs/2014-11-13/service-2.json",
  logs: "logs/2014-03-28/service-2.json",
};

interface MemberRef {
  shape: string;
}

/** One shape of a botocore model (only the fields the validator reads). */
export interface Shape {
  type: "structure" | "list" | "map" | "string" | "integer" | "long" | "boolean" | "timestamp" | "double" | "float" | "blob";
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  exception?: boolean;
}

export interface ServiceModel {
  /** e.g. "AmazonEC2ContainerServiceV20141113": the X-Amz-Target prefix. */
  targetPrefix: string;
  /** The file it was read from. */
  file: string;
  operations: Record<string, { input?: MemberRef; output?: MemberRef; errors?: MemberRef[] }>;
  shapes: Record<string, Shape>;
}

/**
 * Members the SDK v3 sends by itself that an older botocore model may predate: RunTask's idempotency
 * token (filled with a UUID by the SDK on every call). Added to the model only where it lacks them, with
 * the constraints AWS documents, so they are still checked.
 */
const SDK_MEMBERS_NEWER_THAN_MODEL: { service: ServiceName; shape: string; member: string; definition: Shape }[] = [
  { service: "ecs", shape: "RunTaskRequest", member: "clientToken", definition: { type: "string", max: 64 } },
];

function addNewerMembers(service: ServiceName, model: ServiceModel): void {
  for (const extra of SDK_MEMBERS_NEWER_THAN_MODEL) {
    const shape = model.shapes[extra.shape];
    if (extra.service !== service || !shape?.members || shape.members[extra.member]) continue;
    const name = `${extra.shape}.${extra.member}.addedByStandin`;
    model.shapes[name] = extra.definition;
    shape.members[extra.member] = { shape: name };
  }
}

/** Directories botocore's data may live in, in the order they are tried. */
function candidateDataDirs(): string[] {
  const dirs: string[] = [];
  try {
    const listed = execFileSync("dpkg", ["-L", "python3-botocore"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    for (const line of listed.split("\n")) {
      const m = /^(.*\/botocore\/data)\/ecs\/[^/]+\/service-2\.json(\.gz)?$/.exec(line.trim());
      if (m) dirs.push(m[1]!);
    }
  } catch {
    // not a Debian system, or the package is not installed: try python below
  }
  try {
    const dir = execFileSync("python3", ["-c", "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (dir) dirs.push(dir);
  } catch {
    // no python3 or no botocore module
  }
  return [...new Set(dirs)];
}

let cached: { models?: Record<ServiceName, ServiceModel>; reason?: string } | undefined;

/** The ECS and CloudWatch Logs models, or the reason they cannot be read. */
export function loadServiceModels(): { models: Record<ServiceName, ServiceModel> } | { reason: string } {
  if (!cached) cached = readModels();
  return cached.models ? { models: cached.models } : { reason: cached.reason! };
}

function readModels(): { models?: Record<ServiceName, ServiceModel>; reason?: string } {
  const dirs = candidateDataDirs();
  for (const dir of dirs) {
    const models: Partial<Record<ServiceName, ServiceModel>> = {};
    for (const service of Object.keys(MODEL_PATHS) as ServiceName[]) {
      const plain = join(dir, MODEL_PATHS[service]);
      const file = existsSync(plain) ? plain : existsSync(`${plain}.gz`) ? `${plain}.gz` : undefined;
      if (!file) break;
      const raw = file.endsWith(".gz") ? gunzipSync(readFileSync(file)).toString("utf8") : readFileSync(file, "utf8");
      const json = JSON.parse(raw) as { metadata: { targetPrefix: string }; operations: ServiceModel["operations"]; shapes: ServiceModel["shapes"] };
      models[service] = { targetPrefix: json.metadata.targetPrefix, file, operations: json.operations, shapes: json.shapes };
      addNewerMembers(service, models[service]);
    }
    if (models.ecs && models.logs) return { models: models as Record<ServiceName, ServiceModel> };
  }
  return {
    reason:
      dirs.length === 0
        ? "botocore's service models were not found (install them with: apt-get install python3-botocore)"
        : `botocore's data in ${dirs.join(", ")} lacks ${Object.values(MODEL_PATHS).join(" or ")}`,
  };
}

/** A request the front end refuses before the operation runs. */
export interface RequestViolation {
  /** `SerializationException` for a value of the wrong JSON type, else `ValidationException`. */
  type: "SerializationException" | "ValidationException";
  message: string;
}

const show = (value: unknown): string => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
};

const patternCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    // AWS matches the whole value against the model's pattern (Java's Matcher.matches()).
    re = new RegExp(`^(?:${pattern})$`, "u");
    patternCache.set(pattern, re);
  }
  return re;
}

/**
 * Checks `body` against the input shape of `operation`. Paths are written as AWS writes them
 * (`containerDefinitions.1.member.memory`, lists counted from 1). Returns every violation found.
 */
export function validateRequest(model: ServiceModel, operation: string, body: unknown): RequestViolation[] {
  const op = model.operations[operation];
  if (!op) return [{ type: "ValidationException", message: `unknown operation ${operation}` }];
  if (!op.input) return [];
  const out: RequestViolation[] = [];
  check(model, op.input.shape, body, "", out);
  return out;
}

function check(model: ServiceModel, shapeName: string, value: unknown, path: string, out: RequestViolation[]): void {
  const shape = model.shapes[shapeName];
  if (!shape) throw new Error(`the model has no shape ${shapeName}`);
  const at = path === "" ? "the request" : `'${path}'`;
  const constraint = (text: string): void => {
    out.push({ type: "ValidationException", message: `Value '${show(value)}' at ${at} failed to satisfy constraint: ${text}` });
  };
  const wrongType = (expected: string): void => {
    out.push({
      type: "SerializationException",
      message: `Expected ${expected} at ${at} (shape ${shapeName}), found ${Array.isArray(value) ? "array" : value === null ? "null" : typeof value}`,
    });
  };
  const sub = (name: string) => (path === "" ? name : `${path}.${name}`);
  switch (shape.type) {
    case "structure": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return wrongType("a structure");
      const record = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (record[name] === undefined || record[name] === null) {
          out.push({ type: "ValidationException", message: `Value null at '${sub(name)}' failed to satisfy constraint: Member must not be null` });
        }
      }
      for (const [name, member] of Object.entries(record)) {
        const ref = shape.members?.[name];
        if (!ref) {
          out.push({
            type: "ValidationException",
            message: `Unknown member '${name}' at ${at}: shape ${shapeName} has ${Object.keys(shape.members ?? {}).join(", ") || "no members"}`,
          });
          continue;
        }
        if (member === null || member === undefined) continue;
        check(model, ref.shape, member, sub(name), out);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(value)) return wrongType("a list");
      if (shape.min !== undefined && value.length < shape.min) constraint(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max) constraint(`Member must have length less than or equal to ${shape.max}`);
      value.forEach((item, i) => check(model, shape.member!.shape, item, `${sub(String(i + 1))}.member`.replace(/^\./, ""), out));
      return;
    }
    case "map": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return wrongType("a map");
      const entries = Object.entries(value as Record<string, unknown>);
      if (shape.min !== undefined && entries.length < shape.min) constraint(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && entries.length > shape.max) constraint(`Member must have length less than or equal to ${shape.max}`);
      for (const [k, v] of entries) {
        check(model, shape.key!.shape, k, `${sub(k)}.key`, out);
        check(model, shape.value!.shape, v, sub(k), out);
      }
      return;
    }
    case "string": {
      if (typeof value !== "string") return wrongType("a string");
      if (shape.enum && !shape.enum.includes(value)) return constraint(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
      const length = [...value].length;
      if (shape.min !== undefined && length < shape.min) constraint(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && length > shape.max) constraint(`Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern !== undefined && !compiled(shape.pattern).test(value)) constraint(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      return;
    }
    case "integer":
    case "long": {
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType(`an ${shape.type}`);
      if (shape.type === "integer" && (value > 2147483647 || value < -2147483648)) return wrongType("a 32-bit integer");
      if (shape.min !== undefined && value < shape.min) constraint(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) constraint(`Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case "double":
    case "float":
      if (typeof value !== "number") return wrongType("a number");
      return;
    case "boolean":
      if (typeof value !== "boolean") return wrongType("a boolean");
      return;
    case "timestamp":
      // The JSON protocol sends epoch seconds; ISO strings are accepted by the service too.
      if (typeof value !== "number" && !(typeof value === "string" && !Number.isNaN(Date.parse(value)))) return wrongType("a timestamp");
      return;
    case "blob":
      if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return wrongType("base64 data");
      return;
  }
}

/** AWS's summary line: "2 validation errors detected: a; b". */
export function validationMessage(violations: readonly RequestViolation[]): string {
  const n = violations.length;
  return `${n} validation error${n === 1 ? "" : "s"} detected: ${violations.map((v) => v.message).join("; ")}`;
}
