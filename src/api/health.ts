/** Liveness and the API description. Both answer without a database write. */
import { z } from "zod";
import { defineOperation } from "./operation.js";

export const HealthSchema = z.object({
  status: z.literal("ok"),
  /** "sqlite" or "postgres". */
  database: z.string(),
  /** Whether the server requires API keys. */
  auth: z.boolean(),
});

export const healthOperations = {
  health: defineOperation({
    id: "health",
    method: "GET",
    path: "/health",
    tag: "health",
    summary: "Liveness (open without an API key)",
    response: HealthSchema,
    status: 200,
    idempotent: true,
    auth: false,
  }),
  openApi: defineOperation({
    id: "openApi",
    method: "GET",
    path: "/docs",
    tag: "health",
    summary: "This API's OpenAPI 3.1 document",
    response: z.record(z.string(), z.unknown()),
    status: 200,
    idempotent: true,
  }),
};
