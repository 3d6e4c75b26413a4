/**
 * Registers an API operation as a Fastify route: validates path parameters, query and body with the
 * operation's zod schemas (422 naming every bad field), calls the typed handler, answers its status.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { BodyOf, Operation, ParamsOf, QueryOf, ResponseOf } from "../../api/operation.js";
import { showFieldValue } from "../../core/errors.js";
import { ApiRequestError, fieldErrors, sentValueAt, validationError } from "./errors.js";

export interface RouteInput<O extends Operation> {
  params: ParamsOf<O>;
  query: QueryOf<O>;
  body: BodyOf<O>;
}

export type RouteHandler<O extends Operation> = (input: RouteInput<O>, request: FastifyRequest, reply: FastifyReply) => Promise<ResponseOf<O>>;

/** Route config read by the auth hook. */
export interface RouteConfig {
  auth: boolean;
}

function parsePart(schema: z.ZodType | undefined, value: unknown, where: "params" | "query" | "body"): unknown {
  if (!schema) return undefined;
  if (where === "body" && value === undefined)
    throw new ApiRequestError(422, "INVALID_INPUT", "this operation needs a JSON body (Content-Type: application/json)", { field: "body" });
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  if (where === "params") {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "path";
    // An id that cannot be valid names nothing that exists: 404, like an unknown one.
    if (field === "id") throw new ApiRequestError(404, "NOT_FOUND", `nothing has the id given in the path (${issue?.message ?? "invalid"})`, { field });
    const sent = issue ? sentValueAt(value, issue.path) : undefined;
    const shown = sent === undefined ? "" : ` (sent: ${showFieldValue(field, sent, 60)})`;
    throw new ApiRequestError(422, "INVALID_INPUT", `invalid path parameter ${field}: ${issue?.message ?? "invalid"}${shown}`, { field });
  }
  throw validationError(fieldErrors(result.error, "", where, value), where === "body" ? "request body" : "query");
}

export function registerRoute<O extends Operation>(app: FastifyInstance, operation: O, handler: RouteHandler<O>): void {
  const config: RouteConfig = { auth: operation.auth !== false };
  app.route({
    method: operation.method,
    url: operation.path,
    config,
    handler: async (request, reply) => {
      const params = parsePart(operation.params, request.params, "params");
      const query = parsePart(operation.query, request.query, "query");
      const body = parsePart(operation.body, request.body, "body");
      reply.code(operation.status);
      const result = await handler({ params, query, body } as RouteInput<O>, request, reply);
      if (operation.status === 204) return reply.send();
      return result;
    },
  });
}
