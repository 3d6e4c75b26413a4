/** Secrets: named JSON values, encrypted at rest; lists never include values. */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IsoDate, pageOf, queryInt } from "./common.js";

export const SecretName = z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, "use 1 to 200 letters, digits, '_', '.' or '-'");

export const SecretParams = z.object({ name: SecretName });

export const SetSecretBody = z.strictObject({
  /** Any JSON value (a string, or e.g. an object of registry credentials). */
  value: z.unknown().refine((v) => v !== undefined, "give the secret's value (any JSON value)"),
});

export const SecretInfoSchema = z.object({ name: z.string(), createdAt: IsoDate, updatedAt: IsoDate });
export type SecretInfo = z.output<typeof SecretInfoSchema>;
export const SecretValueSchema = z.object({ name: z.string(), value: z.unknown() });

const op = { tag: "secrets" } as const;

export const secretOperations = {
  setSecret: defineOperation({
    ...op,
    id: "setSecret",
    method: "PUT",
    path: "/api/secrets/:name",
    summary: "Create or replace a secret",
    params: SecretParams,
    body: SetSecretBody,
    response: SecretInfoSchema,
    status: 200,
    idempotent: true,
  }),
  getSecret: defineOperation({
    ...op,
    id: "getSecret",
    method: "GET",
    path: "/api/secrets/:name",
    summary: "Read a secret's value",
    params: SecretParams,
    response: SecretValueSchema,
    status: 200,
    idempotent: true,
  }),
  listSecrets: defineOperation({
    ...op,
    id: "listSecrets",
    method: "GET",
    path: "/api/secrets",
    summary: "List secret names (never values)",
    query: z.object({ limit: queryInt(1, 1000, 100), cursor: z.string().optional() }),
    response: pageOf(SecretInfoSchema),
    status: 200,
    idempotent: true,
  }),
  deleteSecret: defineOperation({
    ...op,
    id: "deleteSecret",
    method: "DELETE",
    path: "/api/secrets/:name",
    summary: "Delete a secret",
    params: SecretParams,
    status: 204,
    idempotent: true,
  }),
};
