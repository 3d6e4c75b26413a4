/**
 * The OpenAPI 3.1 document of the API, generated from the same operations and zod schemas the routes
 * validate with (so the document cannot drift from the server).
 */
import { z } from "zod";
import { apiOperations } from "../api/index.js";
import { ErrorBodySchema } from "../api/common.js";
import type { Operation } from "../api/operation.js";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, "input");
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: property,
    // Lists travel comma-separated (state=Running,Failed); repeating the parameter works too.
    ...(property.type === "array" ? { style: "form", explode: false } : {}),
    ...(typeof property.description === "string" ? { description: property.description } : {}),
  }));
}

const ERROR_STATUSES: Record<string, string> = {
  "400": "Malformed JSON",
  "401": "Missing, unknown or revoked API key (when the server requires keys)",
  "404": "Unknown id or route",
  "409": "Version conflict or illegal state transition",
  "413": "Body larger than the server's limit",
  "422": "Invalid fields (every one named in `fields`)",
};

function operationObject(operation: Operation, errorRef: JsonSchema): JsonSchema {
  const success: JsonSchema =
    operation.response === undefined
      ? { description: "Done (no content)" }
      : { description: "Success", content: { "application/json": { schema: jsonSchema(operation.response, "output") } } };
  const errors = Object.fromEntries(
    Object.entries(ERROR_STATUSES)
      .filter(([status]) => status !== "401" || operation.auth !== false)
      .map(([status, description]) => [status, { description, content: { "application/json": { schema: errorRef } } }]),
  );
  return {
    operationId: operation.id,
    summary: operation.summary,
    tags: [operation.tag],
    parameters: [...parametersOf(operation.params, "path"), ...parametersOf(operation.query, "query")],
    ...(operation.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(operation.body, "input") } } } } : {}),
    responses: { [String(operation.status)]: success, ...errors },
    ...(operation.auth === false ? { security: [] } : {}),
  };
}

let cached: JsonSchema | undefined;

/** Builds (once) the OpenAPI document. */
export function openApiDocument(version = "0.1.0"): JsonSchema {
  if (cached) return cached;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorRef = { $ref: "#/components/schemas/Error" };
  for (const operation of Object.values(apiOperations) as Operation[]) {
    const path = operation.path.replace(/:(\w+)/g, "{$1}");
    (paths[path] ??= {})[operation.method.toLowerCase()] = operationObject(operation, errorRef);
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "Sluice API",
      version,
      description: "Flows, flow runs, task runs, logs, agents, schedules, secrets and API keys of a Sluice server.",
    },
    servers: [{ url: "/" }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key (slk_...) as a bearer token" } },
      schemas: { Error: jsonSchema(ErrorBodySchema, "output") },
    },
    paths,
  };
  return cached;
}
