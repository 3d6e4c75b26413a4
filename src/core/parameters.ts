/**
 * Flow parameters: declared with a zod object schema (defaults included), validated before anything
 * runs. Unknown and invalid parameters are one INVALID_PARAMETER error naming every field at fault.
 */
import { SluiceError, showValue } from "./errors.js";
import type { JsonObject } from "./executor.js";
import type { ParametersSchema } from "./graph.js";
import { zod } from "./zod.js";

/**
 * Validates raw parameters against the flow's schema and returns the parsed values (defaults applied).
 * No schema (a flow without parameters): only unknown names are checked, and zod is not needed.
 */
export function validateParameters(flowName: string, schema: ParametersSchema | undefined, raw: unknown): Record<string, unknown> {
  const given = raw ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    throw new SluiceError("INVALID_PARAMETER", `flow "${flowName}": parameters are ${showValue(raw)}; pass an object { name: value }`, {
      field: "parameters",
      value: raw,
    });
  }
  const known = Object.keys(schema?.shape ?? {});
  const problems: string[] = [];
  const fields: string[] = [];
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) {
      problems.push(`unknown parameter "${name}" (known: ${known.join(", ") || "none"})`);
      fields.push(name);
    }
  }
  // An empty object schema would strip every field: the result is {}.
  const parsed = schema ? schema.safeParse(given) : { success: true as const, data: {} };
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join(".") || "parameters";
      const value = issue.path.reduce<unknown>(
        (v, k) => (v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined),
        given,
      );
      const missing = value === undefined && issue.code === "invalid_type";
      problems.push(missing ? `missing parameter "${field}" (${issue.message})` : `parameter "${field}" = ${showValue(value)}: ${issue.message}`);
      fields.push(field);
    }
  }
  if (problems.length > 0) {
    throw new SluiceError("INVALID_PARAMETER", `flow "${flowName}": ${problems.join("; ")}. Fix the parameters and run again.`, {
      field: fields.join(","),
    });
  }
  return (parsed as { data: Record<string, unknown> }).data;
}

/** The JSON schema of the parameters a run accepts (input side: defaulted fields are optional). */
export function parametersJsonSchema(schema: ParametersSchema): JsonObject {
  return zod().toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonObject;
}
