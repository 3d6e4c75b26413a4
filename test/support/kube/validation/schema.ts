/**
 * Checks objects against the official Kubernetes OpenAPI schemas shipped in `kubernetes-models`.
 * Wrong JSON types and malformed formats (quantity, base64, date-time) are what a real server fails to
 * decode: they become 400 BadRequest. Missing required fields and values outside an enum are 422 field
 * errors, reported with Kubernetes field paths (`spec.containers[0].name`).
 */
import { Job } from "kubernetes-models/batch/v1/Job";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Event } from "kubernetes-models/v1/Event";
import type { FieldError } from "../status.js";

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

interface Model {
  validate(): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const models: Record<string, new (data: any) => Model> = {
  jobs: Job,
  pods: Pod,
  secrets: Secret,
  services: Service,
  configmaps: ConfigMap,
  namespaces: Namespace,
  events: Event,
};

/** Turns `/spec/containers/0/name` into `spec.containers[0].name`. */
export function toFieldPath(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${part}]`;
  }
  return out;
}

export interface SchemaResult {
  /** Decoding failures (400): the first one is reported, as the server stops at the first. */
  decodeErrors: string[];
  /** Field errors (422). */
  fieldErrors: FieldError[];
}

/** Validates `object` as a `resource` (plural name). Resources without a model pass. */
export function checkSchema(resource: string, kind: string, object: unknown): SchemaResult {
  const Ctor = models[resource];
  const result: SchemaResult = { decodeErrors: [], fieldErrors: [] };
  if (!Ctor) return result;
  try {
    new Ctor(structuredClone(object)).validate();
    return result;
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw e;
    const oneOfPaths = new Set(errors.filter((x) => x.keyword === "oneOf").map((x) => x.instancePath));
    for (const err of errors) {
      const path = toFieldPath(err.instancePath);
      if (oneOfPaths.has(err.instancePath)) {
        if (err.keyword !== "oneOf") continue;
        const format = errors.find((x) => x.instancePath === err.instancePath && x.keyword === "format");
        result.decodeErrors.push(
          format?.params.format === "quantity"
            ? `${kind} in version "v1" cannot be handled as a ${kind}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (field ${path})`
            : `${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal value into Go struct field ${path}`,
        );
        continue;
      }
      switch (err.keyword) {
        case "type":
          result.decodeErrors.push(
            `${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ` +
              `${describe(valueAt(object, err.instancePath))} into Go struct field ${path} of type ${String(err.params.type)}`,
          );
          break;
        case "format":
          result.decodeErrors.push(`${kind} in version "v1" cannot be handled as a ${kind}: ` + `${path}: ${err.message ?? "bad format"}`);
          break;
        case "required": {
          const missing = String(err.params.missingProperty);
          result.fieldErrors.push({ type: "FieldValueRequired", field: path ? `${path}.${missing}` : missing });
          break;
        }
        case "enum":
          result.fieldErrors.push({
            type: "FieldValueNotSupported",
            field: path,
            badValue: valueAt(object, err.instancePath),
            supported: (err.params.allowedValues as string[] | undefined) ?? [],
          });
          break;
        default:
          result.fieldErrors.push({ type: "FieldValueInvalid", field: path, badValue: valueAt(object, err.instancePath), detail: err.message });
      }
    }
    return result;
  }
}

function valueAt(object: unknown, pointer: string): unknown {
  let cur: unknown = object;
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}
