/** Secrets (encrypted at rest, never listed) and API keys (required when auth is on, hashed at rest, never logged). */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { DatabaseTarget, TestServer } from "../support.js";
import { rejection, startTestServer } from "../support.js";
import { createApiKeyInDatabase } from "../../../src/server/index.js";
import { createClient } from "../../../src/client/index.js";

export function secretTests(get: () => TestServer): void {
  it("stores secrets encrypted, reads them back, lists names only, deletes them", async () => {
    const { client, server } = get();
    const value = { username: "robot", password: "hunter2-plaintext-marker" };
    const info = await client.setSecret("REGISTRY_CREDS", value);
    assert.equal(info.name, "REGISTRY_CREDS");
    assert.deepEqual(await client.getSecret("REGISTRY_CREDS"), value);
    await client.setSecret("PLAIN", "just-a-string-marker");
    assert.equal(await client.getSecret("PLAIN"), "just-a-string-marker");

    const rows = await server.database.driver.all<Record<string, unknown>>("SELECT * FROM secrets");
    const raw = JSON.stringify(rows);
    assert.ok(!raw.includes("hunter2-plaintext-marker") && !raw.includes("just-a-string-marker"), "no plaintext in the database");
    assert.ok(rows.every((r) => String(r.ciphertext).startsWith("v1:")));

    const listed = await client.listSecrets();
    assert.deepEqual(listed.items.map((s) => s.name).sort(), ["PLAIN", "REGISTRY_CREDS"]);
    assert.ok(!JSON.stringify(listed).includes("marker"), "a list never carries values");

    await client.setSecret("PLAIN", "replaced");
    assert.equal(await client.getSecret("PLAIN"), "replaced");
    await client.deleteSecret("PLAIN");
    const gone = await rejection(client.getSecret("PLAIN"));
    assert.equal(gone.status, 404);
    assert.equal(gone.field, "name");
    const badName = await rejection(client.setSecret("has space", 1));
    assert.equal(badName.status, 422);
    assert.equal(badName.field, "name");
  });
}

export function authTests(target: DatabaseTarget): void {
  describe("with auth on", () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(target, { env: { SLUICE__SERVER__AUTH: "true" } });
    });
    after(async () => t?.close());

    it("warns at start that no key exists yet and says how to create one", () => {
      assert.ok(t.logs.some((line) => line.includes("sluice auth create-key")));
    });

    it("requires a key on every route but /health, accepts a bootstrapped key, stores only hashes, never logs keys", async () => {
      const anonymous = t.client;
      const denied = await rejection(anonymous.listFlows());
      assert.equal(denied.status, 401);
      assert.equal(denied.code, "UNAUTHORIZED");
      assert.equal((await rejection(anonymous.openApi())).status, 401);
      assert.equal((await rejection(anonymous.createApiKey("sneaky"))).status, 401);
      assert.equal((await anonymous.health()).auth, true);

      const admin = await createApiKeyInDatabase({ config: t.config, name: "admin" });
      assert.match(admin.key, /^slk_[A-Za-z0-9]{8}_/);
      const client = createClient({ url: t.server.url, apiKey: admin.key });
      const second = await client.createApiKey("ci");
      assert.equal(second.name, "ci");
      const ci = createClient({ url: t.server.url, apiKey: second.key });
      assert.equal((await ci.listFlows()).items.length, 0);
      const listed = await client.listApiKeys();
      assert.deepEqual(listed.items.map((k) => k.name).sort(), ["admin", "ci"]);
      assert.ok(!JSON.stringify(listed).includes(second.key) && !JSON.stringify(listed).includes(admin.key));

      const rows = await t.server.database.driver.all<Record<string, unknown>>("SELECT * FROM api_keys");
      const raw = JSON.stringify(rows);
      assert.ok(!raw.includes(admin.key) && !raw.includes(second.key), "keys are not stored");
      assert.ok(rows.some((r) => r.hash === createHash("sha256").update(admin.key).digest("hex")));

      await client.revokeApiKey(second.id);
      assert.equal((await rejection(ci.listFlows())).status, 401, "a revoked key stops working at once on this server");
      assert.ok((await client.listApiKeys()).items.find((k) => k.id === second.id)?.revokedAt);
      const forged = createClient({ url: t.server.url, apiKey: admin.key.slice(0, -2) + "xx" });
      assert.equal((await rejection(forged.listFlows())).status, 401);

      t.server.logger.warn({ req: { headers: { authorization: `Bearer ${admin.key}`, "x-api-key": admin.key } } }, "a request someone chose to log");
      assert.ok(
        t.logs.some((line) => line.includes("a request someone chose to log") && line.includes("[redacted]")),
        "headers with keys are redacted",
      );
      assert.ok(t.logs.length > 1, "the server logged the requests");
      const logged = t.logs.join("\n");
      assert.ok(!logged.includes(admin.key) && !logged.includes(second.key), "no key in any log line");
    });
  });
}
