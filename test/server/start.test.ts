/** startServer: the address rule, the default database location, and services running on their own. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config/index.js";
import { startServer } from "../../src/server/index.js";
import { createClient } from "../../src/client/index.js";

const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), "sluice-start-"));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

describe("startServer", { timeout: 30_000 }, () => {
  it("refuses a non-loopback address without auth, before touching the database", () =>
    withHome(async (home) => {
      const config = loadConfig({ env: { SLUICE__HOME: home }, file: false });
      await assert.rejects(startServer({ config, host: "0.0.0.0", port: 0, logStream: discard }), (error: Error & { code?: string; field?: string }) => {
        assert.equal(error.code, "CONFIG_INVALID");
        assert.equal(error.field, "server.host");
        assert.match(error.message, /refusing to listen on 0\.0\.0\.0 without authentication/);
        return true;
      });
      assert.equal(existsSync(join(home, "sluice.db")), false);
    }));

  it("defaults to SQLite at <home>/sluice.db and a 0600 secret key, and serves /health", () =>
    withHome(async (home) => {
      const config = loadConfig({ env: { SLUICE__HOME: home }, file: false });
      const server = await startServer({ config, port: 0, services: false, logStream: discard });
      try {
        assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
        assert.deepEqual(await createClient({ url: server.url }).health(), { status: "ok", database: "sqlite", auth: false });
        assert.ok(existsSync(join(home, "sluice.db")));
        assert.equal(statSync(join(home, "secret.key")).mode & 0o777, 0o600);
      } finally {
        await server.close();
      }
    }));

  it("runs its services on the configured interval (here: a zombie is failed within moments)", () =>
    withHome(async (home) => {
      const config = loadConfig({
        env: {
          SLUICE__HOME: home,
          SLUICE__SERVER__DATABASE_URL: "sqlite::memory:",
          SLUICE__SERVER__SERVICE_INTERVAL_MS: "20",
          SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "50",
        },
        file: false,
      });
      const server = await startServer({ config, port: 0, logStream: discard });
      try {
        const client = createClient({ url: server.url });
        const flow = await client.registerFlow({ name: "svc", environment: { type: "LocalEnvironment" }, storage: { type: "ModuleStorage" } });
        const run = await client.createFlowRun({ flowId: flow.flowId });
        await client.setFlowRunState(run.id, { name: "Running" });
        const deadline = Date.now() + 5_000;
        let state = "Running";
        while (state === "Running" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 25));
          state = (await client.getFlowRun(run.id)).state.name;
        }
        assert.equal(state, "Failed");
      } finally {
        await server.close();
      }
    }));

  it("names the port when it is taken", () =>
    withHome(async (home) => {
      const config = loadConfig({ env: { SLUICE__HOME: home, SLUICE__SERVER__DATABASE_URL: "sqlite::memory:" }, file: false });
      const first = await startServer({ config, port: 0, services: false, logStream: discard });
      try {
        const port = Number(new URL(first.url).port);
        await assert.rejects(startServer({ config, port, services: false, logStream: discard }), { code: "SERVICE_UNAVAILABLE", field: "server.port" });
      } finally {
        await first.close();
      }
    }));
});
