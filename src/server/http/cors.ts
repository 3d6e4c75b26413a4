/**
 * CORS, closed unless configured: a browser page may call the API only from an origin listed in
 * `server.corsOrigins` ("*" allows any origin, never with credentials). For other origins no CORS header
 * is sent, so the browser withholds the answer; their preflight requests get 403.
 */
import type { FastifyInstance } from "fastify";

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";
const ALLOWED_HEADERS = "Authorization, X-Api-Key, Content-Type";
/** Browsers may cache a preflight answer this long (seconds). */
const PREFLIGHT_MAX_AGE = "600";

/** Normalizes an origin for comparison ("https://A.example.com/" → "https://a.example.com"). */
const normalizeOrigin = (origin: string): string => origin.trim().replace(/\/+$/, "").toLowerCase();

export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins.map(normalizeOrigin));
  const any = allowed.has("*");
  const allows = (origin: string): boolean => any || allowed.has(normalizeOrigin(origin));

  // Preflights carry no API key: answered before authentication.
  app.options("*", { config: { auth: false } }, async (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin !== "string" || !allows(origin) || request.headers["access-control-request-method"] === undefined) {
      return reply.code(403).send({
        error: {
          code: "FORBIDDEN",
          message: "cross-origin requests from this origin are not allowed: add it to server.corsOrigins (SLUICE__SERVER__CORS_ORIGINS)",
        },
      });
    }
    return reply
      .code(204)
      .header("access-control-allow-origin", any ? "*" : origin)
      .header("access-control-allow-methods", ALLOWED_METHODS)
      .header("access-control-allow-headers", ALLOWED_HEADERS)
      .header("access-control-max-age", PREFLIGHT_MAX_AGE)
      .header("vary", "Origin")
      .send();
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const origin = request.headers.origin;
    if (typeof origin === "string" && allows(origin)) {
      void reply.header("access-control-allow-origin", any ? "*" : origin);
      void reply.header("vary", "Origin");
    }
    return payload;
  });
}
