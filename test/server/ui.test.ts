/** The server serves the web UI at `/`: files, index.html for the app's routes, the API untouched. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { uiRoutes } from "../../src/server/ui.js";
import { sqliteTarget, startTestServer, type TestServer } from "./support.js";

describe("the web UI's files", () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-ui-files-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>Sluice</title>");
    await writeFile(join(dir, "assets", "app-1234.js"), "console.log(1)");
    app = Fastify();
    uiRoutes(app, dir);
    await app.ready();
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the files, and index.html for the app's own routes", async () => {
    const js = await app.inject({ url: "/assets/app-1234.js" });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers["content-type"] as string, /javascript/);
    for (const url of ["/", "/runs", "/runs/abc?view=logs", "/flows/etl"]) {
      const page = await app.inject({ url });
      assert.equal(page.statusCode, 200, url);
      assert.match(page.body, /<title>Sluice<\/title>/, url);
      assert.equal(page.headers["cache-control"], "no-cache");
    }
  });

  it("keeps a JSON 404 for paths of the API", async () => {
    const res = await app.inject({ url: "/api/nothing-here" });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ error: { code: string } }>().error.code, "NOT_FOUND");
  });

  it("says how to build the UI when it is not built", async () => {
    const bare = Fastify();
    uiRoutes(bare, join(dir, "missing"));
    const res = await bare.inject({ url: "/runs" });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /scripts\/build-ui\.mjs/);
    await bare.close();
  });
});

describe("the UI on a server with API keys", { timeout: 30_000 }, () => {
  const target = sqliteTarget();
  let t: TestServer;
  before(async () => {
    t = await startTestServer(target, { env: { SLUICE__SERVER__AUTH: "true" } });
  });
  after(async () => {
    await t.close();
    await target.cleanup();
  });

  it("serves the page without a key, never the API", async () => {
    const page = await fetch(`${t.server.url}/runs`);
    assert.ok(page.status === 200 || page.status === 503, `the page or the not-built notice: ${page.status}`);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.equal((await fetch(`${t.server.url}/api/flow-runs`)).status, 401);
    assert.equal((await fetch(`${t.server.url}/api/flow-runs/x/events`)).status, 401);
  });
});
