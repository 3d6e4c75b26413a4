/**
 * The parts of JSON Schema the run form understands: `$ref` into `$defs`/`definitions`, nullable
 * unions (`anyOf`/`oneOf`/`type` arrays with null), and the initial value a schema gives.
 */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
}

/** The schema with `$ref` followed and a nullable union reduced to its non-null branch. */
export function resolve(schema: JsonSchema, root: JsonSchema, depth = 0): { schema: JsonSchema; nullable: boolean } {
  if (depth > 20) return { schema, nullable: false };
  if (schema.$ref) {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(schema.$ref);
    const target = match ? root[match[1] as "$defs" | "definitions"]?.[decodeURIComponent(match[2] ?? "")] : undefined;
    if (target) return resolve({ ...target, ...withoutRef(schema) }, root, depth + 1);
  }
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    const rest = union.filter((s) => s.type !== "null");
    if (rest.length === 1 && rest[0]) {
      const inner = resolve(rest[0], root, depth + 1);
      return {
        schema: { ...inner.schema, default: schema.default ?? inner.schema.default, description: schema.description ?? inner.schema.description },
        nullable: rest.length < union.length,
      };
    }
  }
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== "null");
    if (types.length === 1) return { schema: { ...schema, type: types[0] }, nullable: types.length < schema.type.length };
  }
  return { schema, nullable: false };
}

function withoutRef(schema: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

/** What a field holds before the user types: the given value, else the schema's default. */
export function initialValue(schema: JsonSchema, root: JsonSchema, given: unknown): unknown {
  const { schema: s } = resolve(schema, root);
  if (s.type === "object" && s.properties) {
    const base = (given && typeof given === "object" && !Array.isArray(given) ? given : (s.default as Record<string, unknown> | undefined)) ?? {};
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [name, prop] of Object.entries(s.properties)) {
      const value = initialValue(prop, root, (base as Record<string, unknown>)[name]);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  return given !== undefined ? given : s.default;
}

export const typeOf = (schema: JsonSchema): string =>
  typeof schema.type === "string" ? schema.type : schema.enum ? "enum" : schema.properties ? "object" : "json";
