/** API keys: returned once at creation, stored hashed, revocable. */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, pageOf, queryInt } from "./common.js";

export const CreateApiKeyBody = z.strictObject({ name: z.string().min(1).max(200) });

export const ApiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The public part of the key (shown in lists to tell keys apart). */
  prefix: z.string(),
  createdAt: IsoDate,
  lastUsedAt: IsoDate.nullable(),
  revokedAt: IsoDate.nullable(),
});
export type ApiKeyInfo = z.output<typeof ApiKeyInfoSchema>;

/** The answer of a creation: the only time the full key is shown. */
export const CreatedApiKeySchema = ApiKeyInfoSchema.extend({ key: z.string() });
export type CreatedApiKey = z.output<typeof CreatedApiKeySchema>;

const op = { tag: "api-keys" } as const;

export const apiKeyOperations = {
  createApiKey: defineOperation({
    ...op,
    id: "createApiKey",
    method: "POST",
    path: "/api/api-keys",
    summary: "Create an API key (the key is in this answer only)",
    body: CreateApiKeyBody,
    response: CreatedApiKeySchema,
    status: 201,
    idempotent: false,
  }),
  listApiKeys: defineOperation({
    ...op,
    id: "listApiKeys",
    method: "GET",
    path: "/api/api-keys",
    summary: "List API keys (never the keys themselves)",
    query: z.object({ limit: queryInt(1, 1000, 100), cursor: z.string().optional() }),
    response: pageOf(ApiKeyInfoSchema),
    status: 200,
    idempotent: true,
  }),
  revokeApiKey: defineOperation({
    ...op,
    id: "revokeApiKey",
    method: "DELETE",
    path: "/api/api-keys/:id",
    summary: "Revoke an API key",
    params: IdParams,
    status: 204,
    idempotent: true,
  }),
};
