/**
 * The server's security rules: no unauthenticated listening beyond loopback, hashed keys compared in
 * constant time, failed authentications rate-limited per address, CORS closed unless configured, and HTTPS
 * with a configured certificate.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config/index.js";
import { startServer } from "../../src/server/index.js";
import { openDatabase } from "../../src/server/database/index.js";
import { apiKeyMatches, hashApiKey } from "../../src/server/domain/api-key.js";
import { AuthFailures } from "../../src/server/http/auth-failures.js";

const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), "sluice-security-"));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

async function serverWith(home: string, env: Record<string, string>) {
  const config = loadConfig({ env: { SLUICE__HOME: home, SLUICE__SERVER__DATABASE_URL: `sqlite:${join(home, "s.db")}`, ...env }, file: false });
  return startServer({ config, port: 0, services: false, logStream: discard });
}

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("server security", { timeout: 60_000 }, () => {
  it("refuses a non-loopback address unless API keys are required, naming the option", () =>
    withHome(async (home) => {
      await assert.rejects(serverWith(home, { SLUICE__SERVER__HOST: "0.0.0.0" }), (error: Error & { code?: string; field?: string }) => {
        assert.equal(error.code, "CONFIG_INVALID");
        assert.equal(error.field, "server.host");
        assert.match(error.message, /server\.auth/);
        assert.match(error.message, /SLUICE__SERVER__AUTH=true/);
        return true;
      });
      const server = await serverWith(home, { SLUICE__SERVER__HOST: "0.0.0.0", SLUICE__SERVER__AUTH: "true" });
      await server.close();
    }));

  it("stores only a key's SHA-256 and compares hashes in constant time", () =>
    withHome(async (home) => {
      const db = await openDatabase(`sqlite:${join(home, "keys.db")}`);
      try {
        const created = await db.apiKeys.create("admin");
        const row = await db.driver.get<Record<string, unknown>>("SELECT * FROM api_keys WHERE id = ?", [created.id]);
        assert.equal(row!.hash, hashApiKey(created.key));
        assert.ok(!Object.values(row!).includes(created.key), "the key itself is not stored");
        assert.equal(apiKeyMatches(created.key, String(row!.hash)), true);
        assert.equal(apiKeyMatches(`${created.key.slice(0, -1)}x`, String(row!.hash)), false);
        assert.equal(apiKeyMatches(created.key, "abcd"), false, "a stored hash of another length never matches");
        assert.ok(await db.apiKeys.verify(created.key));
        assert.equal(await db.apiKeys.verify(`${created.key.slice(0, -1)}x`), undefined);
        // The comparison itself is node:crypto's timingSafeEqual over equal-length digests.
        const source = await readFile(new URL("../../src/server/domain/api-key.ts", import.meta.url), "utf8");
        assert.match(source, /timingSafeEqual\(a, b\)/);
      } finally {
        await db.close();
      }
    }));

  it("answers 429 with Retry-After after repeated failed authentications from one address", () =>
    withHome(async (home) => {
      const server = await serverWith(home, { SLUICE__SERVER__AUTH: "true" });
      try {
        const { key } = await server.database.apiKeys.create("admin");
        const call = (auth?: string) => fetch(`${server.url}/api/flows`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
        assert.equal((await call(key)).status, 200);
        const statuses: number[] = [];
        for (let i = 0; i < 10; i++) statuses.push((await call(`slk_AAAAAAAA_${"x".repeat(43)}`)).status);
        assert.deepEqual(statuses, Array(10).fill(401));
        const limited = await call("wrong");
        assert.equal(limited.status, 429);
        const retryAfter = Number(limited.headers.get("retry-after"));
        assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
        assert.match(((await limited.json()) as { error: { message: string } }).error.message, /too many failed authentications/);
        assert.equal((await call(key)).status, 429, "even a valid key waits until the window ends");
        assert.equal((await fetch(`${server.url}/health`)).status, 200, "open routes stay open");
      } finally {
        await server.close();
      }
    }));

  it("forgets failures once their window has passed", () => {
    const failures = new AuthFailures({ limit: 2, windowMs: 1000 });
    failures.failed("a", 0);
    assert.equal(failures.blockedFor("a", 10), 0);
    failures.failed("a", 20);
    assert.equal(failures.blockedFor("a", 500), 500);
    assert.equal(failures.blockedFor("b", 500), 0, "other addresses are not affected");
    assert.equal(failures.blockedFor("a", 1000), 0);
  });

  it("sends no CORS header and refuses preflights unless the origin is configured", () =>
    withHome(async (home) => {
      const closed = await serverWith(home, {});
      try {
        const answer = await fetch(`${closed.url}/api/flows`, { headers: { origin: "https://evil.example" } });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("access-control-allow-origin"), null);
        const preflight = await fetch(`${closed.url}/api/flows`, {
          method: "OPTIONS",
          headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
        });
        assert.equal(preflight.status, 403);
        assert.equal(preflight.headers.get("access-control-allow-origin"), null);
      } finally {
        await closed.close();
      }
      const open = await serverWith(home, { SLUICE__SERVER__CORS_ORIGINS: "https://ui.example.com", SLUICE__SERVER__AUTH: "true" });
      try {
        const preflight = await fetch(`${open.url}/api/flows`, {
          method: "OPTIONS",
          headers: { origin: "https://ui.example.com", "access-control-request-method": "GET" },
        });
        assert.equal(preflight.status, 204, "a preflight needs no API key");
        assert.equal(preflight.headers.get("access-control-allow-origin"), "https://ui.example.com");
        assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/);
        const other = await fetch(`${open.url}/api/flows`, {
          method: "OPTIONS",
          headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
        });
        assert.equal(other.status, 403);
        const { key } = await open.database.apiKeys.create("ui");
        const answer = await fetch(`${open.url}/api/flows`, { headers: { origin: "https://ui.example.com", authorization: `Bearer ${key}` } });
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get("access-control-allow-origin"), "https://ui.example.com");
      } finally {
        await open.close();
      }
    }));

  it("serves HTTPS with a configured certificate and key", { skip: hasOpenssl() ? false : "openssl is not installed: cannot make a test certificate" }, () =>
    withHome(async (home) => {
      const cert = join(home, "cert.pem");
      const key = join(home, "key.pem");
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          key,
          "-out",
          cert,
          "-days",
          "1",
          "-subj",
          "/CN=localhost",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
        ],
        {
          stdio: "ignore",
        },
      );
      await assert.rejects(serverWith(home, { SLUICE__SERVER__TLS_CERT: cert }), (error: Error & { field?: string }) => {
        assert.equal(error.field, "server.tlsKey");
        return true;
      });
      await assert.rejects(
        serverWith(home, { SLUICE__SERVER__TLS_CERT: cert, SLUICE__SERVER__TLS_KEY: join(home, "missing.pem") }),
        (error: Error & { field?: string }) => {
          assert.equal(error.field, "server.tlsKey");
          assert.match(error.message, /missing\.pem cannot be read/);
          return true;
        },
      );
      const server = await serverWith(home, { SLUICE__SERVER__TLS_CERT: cert, SLUICE__SERVER__TLS_KEY: key });
      try {
        assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
        const ca = await readFile(cert);
        const body = await new Promise<string>((resolve, reject) => {
          const req = httpsRequest(`${server.url}/health`, { ca }, (res) => {
            let text = "";
            res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
            res.on("end", () => resolve(text));
          });
          req.on("error", reject);
          req.end();
        });
        assert.equal((JSON.parse(body) as { status: string }).status, "ok");
        await assert.rejects(fetch(`${server.url.replace("https", "http")}/health`), "plain HTTP is not served");
      } finally {
        await server.close();
      }
    }),
  );
});
