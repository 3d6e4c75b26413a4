/**
 * Validates flow-run parameters against the JSON schema registered with the flow (draft 2020-12, which
 * zod's z.toJSONSchema produces; draft-07 schemas are read the same way). Compiled validators are cached
 * by the flow's content hash.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { SluiceError, showValue } from "../../core/errors.js";

type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as unknown as FormatsPlugin;

export interface FieldError {
  field: string;
  message: string;
}

const CACHE_LIMIT = 500;

export class ParameterValidator {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false, validateSchema: true });
    addFormats(this.ajv);
  }

  /** Compiles a flow's parameter schema; an invalid schema is an INVALID_INPUT error on `parameterSchema`. */
  compile(schema: Record<string, unknown>, cacheKey?: string): ValidateFunction {
    const cached = cacheKey === undefined ? undefined : this.cache.get(cacheKey);
    if (cached) return cached;
    // $schema: read every draft the same way; $id: two flows may share one, and ids must be unique in Ajv.
    const { $schema: _draft, $id: _id, ...body } = schema;
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(body);
      this.ajv.removeSchema(body); // keep the function, not Ajv's own cache entry (this class caches)
    } catch (cause) {
      throw new SluiceError(
        "INVALID_INPUT",
        `parameterSchema is not a valid JSON schema: ${(cause as Error).message}. Send the JSON schema of the flow's parameters object (e.g. from z.toJSONSchema).`,
        {
          field: "parameterSchema",
          cause,
        },
      );
    }
    if (cacheKey !== undefined) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(cacheKey, validate);
    }
    return validate;
  }

  /** The fields of `parameters` that break the schema (empty when valid), each named `parameters.<path>`. */
  check(schema: Record<string, unknown>, parameters: Record<string, unknown>, cacheKey?: string): FieldError[] {
    const validate = this.compile(schema, cacheKey);
    if (validate(parameters)) return [];
    return (validate.errors ?? []).map((e) => toFieldError(e, parameters));
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const part of pointer.split("/").slice(1)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

function toFieldError(error: ErrorObject, parameters: Record<string, unknown>): FieldError {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const params = error.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
  if (error.keyword === "required" && params.missingProperty) {
    const field = ["parameters", ...path, params.missingProperty].join(".");
    return { field, message: `${field} is required: give it in the run's parameters (or a default in the flow's schema)` };
  }
  if (error.keyword === "additionalProperties" && params.additionalProperty) {
    const field = ["parameters", ...path, params.additionalProperty].join(".");
    return { field, message: `${field} is not a parameter of this flow: remove it, or check its spelling against the flow's parameter schema` };
  }
  const field = ["parameters", ...path].join(".");
  const allowed = params.allowedValues ? ` (allowed: ${params.allowedValues.map((v) => showValue(v)).join(", ")})` : "";
  return { field, message: `${field} ${error.message ?? "is invalid"}${allowed}, got ${showValue(valueAt(parameters, error.instancePath))}` };
}
