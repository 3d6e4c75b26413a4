/**
 * One HTTP operation of the Sluice API, described once and used three times: the server registers a
 * route from it (and validates the request with its zod schemas), the typed client calls it, and the
 * OpenAPI document at GET /docs is generated from it. This folder (src/api/) imports only zod and core: the
 * server, the client and the UI all import it.
 */
import type { z } from "zod";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Operation {
  /** Operation id (the client method of the same name calls it). */
  id: string;
  method: HttpMethod;
  /** Fastify-style path, e.g. "/api/flow-runs/:id". */
  path: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /** OpenAPI tag (the resource). */
  tag: string;
  /** Path parameters (strings). */
  params?: z.ZodType;
  /** Query string (values arrive as strings: use the query helpers of common.ts). */
  query?: z.ZodType;
  /** JSON request body. */
  body?: z.ZodType;
  /** JSON response body; absent for 204 responses. */
  response?: z.ZodType;
  /** Success status. */
  status: 200 | 201 | 204;
  /**
   * True when replaying the request after a lost response cannot do harm; the client retries such
   * calls on connection errors. Every call is retried when the connection was refused (nothing was sent).
   */
  idempotent: boolean;
  /** False only for routes open without an API key (GET /health). @default true */
  auth?: boolean;
}

/** Declares an operation, keeping its literal type (schemas included) for the client and the routes. */
export const defineOperation = <const O extends Operation>(operation: O): O => operation;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type In<S> = S extends z.ZodType ? z.input<S> : undefined;

/** Validated path parameters of an operation, as the route handler receives them. */
export type ParamsOf<O extends Operation> = Out<O["params"]>;
/** Validated query of an operation (after defaults and coercion). */
export type QueryOf<O extends Operation> = Out<O["query"]>;
/** Validated body of an operation (after defaults). */
export type BodyOf<O extends Operation> = Out<O["body"]>;
/** What a caller may send as the body (defaults optional). */
export type BodyInputOf<O extends Operation> = In<O["body"]>;
/** The response body. */
export type ResponseOf<O extends Operation> = O["response"] extends z.ZodType ? z.output<O["response"]> : void;
