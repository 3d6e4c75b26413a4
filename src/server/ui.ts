/**
 * Serves the web UI (dist/ui, built by scripts/build-ui.mjs) at `/` on the same origin as the API. Files
 * are public (they hold no data: every API call still needs a key when auth is on); any other GET outside
 * the API answers index.html, so the app's own routes (/runs/…, /flows/…) survive a reload. Paths of the
 * API that do not exist keep their JSON 404.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fastifyStatic from "@fastify/static";
import { sluicePath } from "../core/package-root.js";

/** Paths that belong to the API, never to the app. */
const API_PATH = /^\/(api(\/|$)|health$|docs$)/;

const notBuilt = (dir: string) =>
  `<!doctype html><meta charset="utf-8"><title>Sluice</title><p>The Sluice web UI is not built (no ${dir}/index.html). ` +
  'Run <code>npm run build</code> (or <code>node scripts/build-ui.mjs</code>), then reload. The API is at <a href="/docs">/docs</a>.</p>';

/**
 * Registers the UI's files and the app-route fallback. `dir` is where the built app is.
 * @param dir @default <package>/dist/ui
 */
export function uiRoutes(app: FastifyInstance, dir: string = sluicePath("dist", "ui")): void {
  const built = existsSync(join(dir, "index.html"));
  void app.register(async (scope) => {
    // Every route of this scope is open: the files are the same for everyone.
    scope.addHook("onRoute", (route) => {
      route.config = { ...(route.config as object | undefined), auth: false };
    });
    if (built) await scope.register(fastifyStatic, { root: dir, wildcard: false, index: false, cacheControl: false, decorateReply: true });
    const app_ = (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split("?")[0] ?? "/";
      if (API_PATH.test(path))
        return reply.code(404).send({ error: { code: "NOT_FOUND", message: `no route GET ${path}: check the path (GET /docs lists the API's routes)` } });
      if (!built) return reply.code(503).type("text/html; charset=utf-8").send(notBuilt(dir));
      // The page itself is never cached, so a new build is picked up; its hashed assets may be.
      return reply.header("cache-control", "no-cache").sendFile("index.html");
    };
    scope.get("/", app_);
    scope.get("/*", app_);
  });
}
