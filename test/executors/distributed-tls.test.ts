/**
 * The distributed executor and a worker against a Redis that requires TLS and a password: a private
 * redis-server started here on a free port with a certificate from a throwaway CA (openssl).
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import type { SluiceError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/logger.js";
import { DistributedExecutor } from "../../src/executors/distributed/index.js";
import { chainFlow } from "../../src/executors/conformance-flows.js";
import { startWorkerProcess, type WorkerProcess } from "../support/distributed-workers.js";
import { serviceSuite } from "../support/services.js";

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "info" as const };
const PASSWORD = "tls-test-secret";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A CA and a server certificate for 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sluice-test-ca", "-keyout", "ca.key", "-out", "ca.pem");
  run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.pem");
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

/** Resolves once a TLS handshake with the port succeeds (or rejects after `ms`). */
async function waitForTls(port: number, ca: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(ca) }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not accept TLS on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canStartTlsRedis(): string | null {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
  } catch {
    return "openssl is not installed";
  }
  try {
    execFileSync("redis-server", ["--version"], { stdio: "pipe" });
  } catch {
    return "redis-server is not installed";
  }
  return null;
}

const missing = canStartTlsRedis();

await serviceSuite(["redis"], "DistributedExecutor over TLS with a password", () => {
  if (missing) {
    it("needs openssl and redis-server", { skip: missing }, () => undefined);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "sluice-redis-tls-"));
  let redis: ChildProcess | undefined;
  let redisLog = "";
  let port = 0;
  let files: { ca: string; cert: string; key: string };
  let worker: WorkerProcess | undefined;

  before(
    async () => {
      files = makeCertificates(dir);
      port = await freePort();
      redis = spawn(
        "redis-server",
        [
          "--port",
          "0",
          "--tls-port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--tls-cert-file",
          files.cert,
          "--tls-key-file",
          files.key,
          "--tls-ca-cert-file",
          files.ca,
          "--tls-auth-clients",
          "no",
          "--requirepass",
          PASSWORD,
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          dir,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      redis.stdout!.on("data", (d: Buffer) => (redisLog += d.toString()));
      redis.stderr!.on("data", (d: Buffer) => (redisLog += d.toString()));
      await waitForTls(port, files.ca, 10_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${redisLog}`);
      });
      worker = await startWorkerProcess({
        redisUrl: `rediss://127.0.0.1:${port}`,
        queue: "tls",
        concurrency: 2,
        args: ["--tls-ca", files.ca],
        env: { SLUICE__EXECUTOR__REDIS_PASSWORD: PASSWORD },
      });
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await worker?.stop();
    redis?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a flow with the executor and a worker both on rediss:// with a password and the CA file", { timeout: 30_000 }, async () => {
    const executor = new DistributedExecutor({
      redis: { url: `rediss://127.0.0.1:${port}`, password: PASSWORD, tls: { caFile: files.ca } },
      queuePrefix: "tls",
    });
    const result = await chainFlow.run({ ...quiet, parameters: { start: 1 }, executor });
    assert.equal(result.state.name, "Success", result.state.message);
    assert.equal(result.value, 4);
  });

  it("takes the password from the URL too", { timeout: 30_000 }, async () => {
    const executor = new DistributedExecutor({ redis: { url: `rediss://:${PASSWORD}@127.0.0.1:${port}`, tls: { caFile: files.ca } }, queuePrefix: "tls" });
    assert.equal((await chainFlow.run({ ...quiet, executor })).state.name, "Success");
  });

  it("says the password is wrong, without showing it", { timeout: 20_000 }, async () => {
    const executor = new DistributedExecutor({
      redis: { url: `rediss://127.0.0.1:${port}`, password: "not-it", tls: { caFile: files.ca } },
      queuePrefix: "tls",
    });
    await assert.rejects(chainFlow.run({ ...quiet, executor }), (e: SluiceError) => {
      assert.match(e.message, /cannot use Redis at rediss:\/\/127\.0\.0\.1:\d+: .*(WRONGPASS|NOAUTH).*check the password/);
      assert.ok(!e.message.includes("not-it"));
      return true;
    });
  });

  it("refuses a server whose certificate it cannot verify (no CA given)", { timeout: 20_000 }, async () => {
    const executor = new DistributedExecutor({ redis: { url: `rediss://127.0.0.1:${port}`, password: PASSWORD }, queuePrefix: "tls" });
    await assert.rejects(
      chainFlow.run({ ...quiet, executor }),
      /cannot use Redis at rediss:\/\/127\.0\.0\.1:\d+: .*(self.signed|unable to verify|certificate)/i,
    );
  });

  it("fails fast when plain redis:// is pointed at the TLS port", { timeout: 20_000 }, async () => {
    const started = Date.now();
    const executor = new DistributedExecutor({ redis: { url: `redis://127.0.0.1:${port}`, password: PASSWORD, connectTimeoutMs: 1500 }, queuePrefix: "tls" });
    await assert.rejects(chainFlow.run({ ...quiet, executor }), /cannot use Redis at redis:\/\/127\.0\.0\.1:\d+/);
    assert.ok(Date.now() - started < 5000);
  });

  it("a worker with the wrong password exits 1 with the reason", { timeout: 30_000 }, async () => {
    await assert.rejects(
      startWorkerProcess({ redisUrl: `rediss://:wrong@127.0.0.1:${port}`, queue: "tls", args: ["--tls-ca", files.ca], readyTimeoutMs: 20_000 }),
      /exited with 1 before it was ready:[\s\S]*check the password/,
    );
  });
});
