/**
 * Finds fields of a manifest that the Kubernetes schema does not know (a misspelt `evn` for `env`): the
 * API client drops them silently and a cluster ignores them, so a typo would change what runs without a
 * word. A real API server with `fieldValidation=Strict` refuses them; this check does the same, before
 * anything is launched.
 *
 * The fields come from the Kubernetes OpenAPI schema as `kubernetes-models` ships it: compiled (ajv)
 * validators, one per definition, which each model class runs as `validate()`. A validator reads every
 * property its schema declares on each object it visits, and enumerates the keys of maps
 * (`additionalProperties`: labels, resource limits, nodeSelector). So the manifest is validated through
 * proxies that record, at each path, which property names the schema asked for and whether the object was
 * a map: the declared fields at every level, taken from the schema itself rather than from a hand-kept list.
 */
import { createRequire } from "node:module";
import { closestName } from "../../core/closest-name.js";
import { fieldPath } from "./schema-check.js";

const require = createRequire(import.meta.url);

/** The kinds this check knows, by the module of their kubernetes-models class. */
const MODELS = { Job: "kubernetes-models/batch/v1/Job", Pod: "kubernetes-models/v1/Pod" } as const;
export type ManifestKind = keyof typeof MODELS;

/** Runs the kind's compiled schema validator on `data` (throws a ValidationError when it finds problems). */
type Validate = (data: unknown) => void;
const validators = new Map<ManifestKind, Validate>();

/**
 * The validator of a kind, loaded on first use (synchronously: constructors call this). Each model class
 * carries its definition's compiled validator as `prototype.validate`, run on `this`.
 */
function validatorOf(kind: ManifestKind): Validate {
  let validate = validators.get(kind);
  if (!validate) {
    const model = (require(MODELS[kind]) as Record<ManifestKind, { prototype: { validate(this: unknown): void } }>)[kind];
    validate = (data) => model.prototype.validate.call(data);
    validators.set(kind, validate);
  }
  return validate;
}

/** A field the schema does not declare where it was found. */
export interface UnknownField {
  /** e.g. "spec.template.spec.containers[0].evn". */
  field: string;
  /** The same path as segments. */
  path: (string | number)[];
  /** The fields the schema declares there, sorted. */
  known: string[];
  /** The closest known field name, when one is close enough to be a likely typo. */
  suggestion: string | undefined;
}

interface Visit {
  path: (string | number)[];
  /** Property names the validator read on this object: the fields its schema declares. */
  declared: Set<string>;
  /** The validator enumerated the keys: a map, any key is allowed. */
  map: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** Validates `manifest` through recording proxies; returns what was learnt about each object it visited, by path. */
function visit(manifest: Record<string, unknown>, kind: ManifestKind): Map<string, Visit> {
  const visits = new Map<string, Visit>();
  const wrap = (value: unknown, path: (string | number)[]): unknown => {
    if (!isObject(value)) return value;
    const key = JSON.stringify(path);
    let seen = visits.get(key);
    if (!seen) {
      seen = { path, declared: new Set(), map: false };
      visits.set(key, seen);
    }
    const record = seen;
    const array = Array.isArray(value);
    return new Proxy(value, {
      get(target, property, receiver) {
        const got: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== "string") return got;
        if (array) return /^\d+$/.test(property) ? wrap(got, [...path, Number(property)]) : got;
        record.declared.add(property);
        return wrap(got, [...path, property]);
      },
      ownKeys(target) {
        record.map = true;
        return Reflect.ownKeys(target);
      },
    });
  };
  try {
    validatorOf(kind)(wrap(manifest, []));
  } catch (error) {
    // Schema problems (wrong types, missing fields) are the schema check's to report; only the visit matters here.
    if (!Array.isArray((error as { errors?: unknown }).errors)) throw error;
  }
  return visits;
}

/**
 * The fields of `manifest` (a `kind` object) that its schema does not declare where they are, in document
 * order. Objects the schema does not describe field by field (maps, free-form objects, values of the
 * wrong type) are not judged here: the schema check reports wrong types.
 */
export function findUnknownFields(manifest: Record<string, unknown>, kind: ManifestKind): UnknownField[] {
  const visits = visit(manifest, kind);
  const out: UnknownField[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...path, index]));
      return;
    }
    if (!isObject(value)) return;
    const seen = visits.get(JSON.stringify(path));
    if (!seen) return; // the validator did not descend here (e.g. a value of the wrong type)
    const judged = !seen.map && seen.declared.size > 0;
    const known = [...seen.declared].sort();
    for (const [name, child] of Object.entries(value)) {
      if (judged && !seen.declared.has(name)) {
        out.push({ field: fieldPath([...path, name]), path: [...path, name], known, suggestion: closestName(name, known) });
        continue;
      }
      walk(child, [...path, name]);
    }
  };
  walk(manifest, []);
  return out;
}

/** "unknown field; did you mean "env"?" or the list of the fields known there. */
export function describeUnknownField(unknown: UnknownField): string {
  const hint = unknown.suggestion ? `did you mean "${unknown.suggestion}"?` : `the fields known here are ${unknown.known.join(", ")}`;
  return `is not a field Kubernetes knows here: the API client would drop it without a word (a server with fieldValidation=Strict refuses it); ${hint}`;
}
