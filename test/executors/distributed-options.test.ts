/**
 * Options of the distributed executor and its workers, checked before anything connects: Redis URLs,
 * the no-open-broker rule, TLS files, and the registry factory's configuration defaults.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as sluice from "sluice";
import { loadConfig } from "../../src/config/index.js";
import { SluiceError } from "../../src/core/errors.js";
import { compileRedis, createDistributedExecutor, DistributedExecutor, DistributedWorker } from "../../src/executors/distributed/index.js";
import { PinRouter } from "../../src/executors/distributed/pinning.js";
import { executorFromKind } from "../../src/executors/registry.js";
import { manyFlow, trailsFlow } from "../support/distributed-flows.js";
import { startWorkerProcess } from "../support/distributed-workers.js";

const invalidOption = (field: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SluiceError, String(e));
  assert.equal(e.code, "INVALID_OPTION");
  assert.equal(e.field, field);
  assert.match(e.message, pattern);
  return true;
};

describe("DistributedExecutor options", () => {
  it("rejects a bad broker URL, naming redis and what to write", () => {
    assert.throws(
      () => new DistributedExecutor({ redis: "not a url" }),
      invalidOption("redis", /is "not a url", which is not a URL; write redis:\/\/host:port/),
    );
    assert.throws(
      () => new DistributedExecutor({ redis: "http://127.0.0.1:6379" }),
      invalidOption("redis", /the scheme http: is not supported; use redis:\/\/ or rediss:\/\//),
    );
    assert.throws(() => new DistributedExecutor({ redis: "redis://127.0.0.1:6379/zero" }), invalidOption("redis", /must be a database number/));
    assert.throws(() => new DistributedExecutor({ redis: "" }), invalidOption("redis", /give a URL such as/));
    assert.throws(() => new DistributedExecutor({} as never), invalidOption("redis", /give the broker's URL/));
  });

  it("never shows a password in an error", () => {
    assert.throws(
      () => new DistributedExecutor({ redis: "http://user:hunter2@example.com" }),
      (e: Error) => !e.message.includes("hunter2") && /\*\*\*@example\.com/.test(e.message),
    );
  });

  it("refuses a non-loopback redis:// without password, unless allowInsecure", () => {
    assert.throws(
      () => new DistributedExecutor({ redis: "redis://10.1.2.3:6379" }),
      invalidOption("redis", /is not on this machine and has neither a password nor TLS.*pass allowInsecure: true/),
    );
    assert.ok(new DistributedExecutor({ redis: "redis://10.1.2.3:6379", allowInsecure: true }));
    assert.ok(new DistributedExecutor({ redis: "redis://:pw@10.1.2.3:6379" }));
    assert.ok(new DistributedExecutor({ redis: { url: "redis://10.1.2.3:6379", password: "pw" } }));
    assert.ok(new DistributedExecutor({ redis: "rediss://redis.internal:6380" }));
    assert.ok(new DistributedExecutor({ redis: "redis://localhost:6379" }));
    assert.ok(new DistributedExecutor({ redis: "redis://[::1]:6379" }));
    assert.throws(() => new DistributedWorker({ redis: "redis://10.1.2.3:6379" }), invalidOption("redis", /--allow-insecure/));
  });

  it("compiles passwords, users, databases and TLS from the URL or the options", () => {
    const a = compileRedis("rediss://alice:s%40cret@redis.example.com:6380/2");
    assert.deepEqual(
      [a.host, a.port, a.db, a.username, a.password, a.display],
      ["redis.example.com", 6380, 2, "alice", "s@cret", "rediss://redis.example.com:6380/2"],
    );
    assert.equal(a.tls?.servername, "redis.example.com");
    const b = compileRedis({ url: "redis://127.0.0.1", password: "p" });
    assert.deepEqual([b.port, b.password, b.tls, b.display], [6379, "p", undefined, "redis://127.0.0.1:6379"]);
    const executor = new DistributedExecutor({ redis: "rediss://:topsecret@redis.example.com:6380" });
    assert.ok(!JSON.stringify(executor.describe()).includes("topsecret"), "describe() holds no password");
    assert.equal(executor.describe().options.redis, "rediss://redis.example.com:6380");
  });

  it("reads TLS files when it is constructed and names the one that is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-tls-"));
    try {
      const ca = join(dir, "ca.pem");
      writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
      const c = compileRedis({ url: "rediss://127.0.0.1:6380", tls: { caFile: ca } });
      assert.ok(Buffer.isBuffer(c.tls?.ca));
      assert.throws(
        () => new DistributedExecutor({ redis: { url: "rediss://127.0.0.1:6380", tls: { caFile: join(dir, "nope.pem") } } }),
        invalidOption("redis.tls.caFile", /nope\.pem cannot be read: ENOENT/),
      );
      assert.throws(() => compileRedis({ url: "rediss://127.0.0.1", tls: { certFile: ca } }), invalidOption("redis.tls", /needs both certFile and keyFile/));
      assert.throws(() => compileRedis({ url: "rediss://127.0.0.1", tls: { ca: "x" } as never }), invalidOption("redis.tls.ca", /is not a TLS option/));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks every other option, naming it", () => {
    const redis = "redis://127.0.0.1:6379";
    assert.throws(() => new DistributedExecutor({ redis, queuePrefix: "a:b" }), invalidOption("queuePrefix", /no ':'/));
    assert.throws(() => new DistributedExecutor({ redis, taskTimeoutMs: 0 }), invalidOption("taskTimeoutMs", /≥ 1, or null/));
    assert.throws(() => new DistributedExecutor({ redis, resultThresholdBytes: -1 }), invalidOption("resultThresholdBytes", /≥ 0/));
    assert.throws(() => new DistributedExecutor({ redis, resultStore: "relative" }), invalidOption("resultStore", /absolute path/));
    assert.throws(() => new DistributedExecutor({ redis, workStealing: "no" as never }), invalidOption("workStealing", /true or false/));
    assert.throws(() => new DistributedExecutor({ redis, maxStalledCount: 0 }), invalidOption("maxStalledCount", /≥ 1/));
    assert.throws(
      () => new DistributedExecutor({ redis, colour: "blue" } as never),
      invalidOption("colour", /unknown option colour; known options: redis, queuePrefix/),
    );
    assert.throws(() => new DistributedWorker({ redis, concurrency: 0 }), invalidOption("concurrency", /whole number ≥ 1/));
    assert.throws(() => new DistributedWorker({ redis, queuePrefix: "has space" }), invalidOption("queue", /the executor's queuePrefix/));
  });

  it("created by kind, takes the broker and defaults from the configuration", async () => {
    const config = loadConfig({
      file: false,
      env: {
        SLUICE__EXECUTOR__REDIS_URL: "redis://10.0.0.9:6379",
        SLUICE__EXECUTOR__REDIS_PASSWORD: "from-env",
        SLUICE__EXECUTOR__WORK_STEALING: "false",
        SLUICE__EXECUTOR__QUEUE_PREFIX: "team-a",
        SLUICE__EXECUTOR__RESULT_THRESHOLD_BYTES: "1024",
        SLUICE__EXECUTOR__RESULT_STORE: "/srv/shared/results",
      },
    });
    const executor = createDistributedExecutor({}, config);
    const o = executor.describe().options;
    assert.deepEqual([o.redis, o.workStealing, o.queuePrefix, o.resultThresholdBytes], ["redis://10.0.0.9:6379", false, "team-a", 1024]);
    assert.deepEqual(o.resultStore, { kind: "local", dir: "/srv/shared/results" });
    const again = createDistributedExecutor(executor.describe().options, config);
    assert.deepEqual(again.describe(), executor.describe(), "describe() recreates the same executor");
    assert.throws(() => createDistributedExecutor({}, loadConfig({ file: false, env: {} })), invalidOption("redis", /SLUICE__EXECUTOR__REDIS_URL/));
    await assert.rejects(executorFromKind("distributed", { redis: "redis://127.0.0.1:6379", maxInFlight: 0 }), invalidOption("maxInFlight", /≥ 1/));
    assert.equal((await executorFromKind("distributed", { redis: "redis://127.0.0.1:6379" })).kind, "distributed");
  });

  it("is exported by the public entry, the same class the registry builds", async () => {
    assert.equal(sluice.DistributedExecutor, DistributedExecutor);
    const executor = new sluice.DistributedExecutor({ redis: "redis://127.0.0.1:6379", workStealing: false });
    assert.ok(sluice.isExecutor(executor));
    assert.ok((await executorFromKind("distributed", { redis: "redis://127.0.0.1:6379" })) instanceof sluice.DistributedExecutor);
    assert.throws(() => new sluice.DistributedExecutor({ redis: "redis://127.0.0.1:6379", maxInFlight: -1 }), invalidOption("maxInFlight", /≥ 1/));
  });
});

describe("PinRouter (workStealing: false placement)", () => {
  it("pins a mapped child to the worker of the upstream child with its index, spreads fan-outs, follows plain upstreams", () => {
    const trails = new PinRouter(trailsFlow);
    const keys = trailsFlow.taskKeys(); // first, next, next-2
    assert.deepEqual(keys, ["first", "next", "next-2"]);
    assert.equal(trails.preferred("first", 0), null, "a root has no preference");
    trails.record("first", 0, "w-a");
    trails.record("first", 1, "w-b");
    assert.equal(trails.preferred("next", 0), "w-a");
    assert.equal(trails.preferred("next", 1), "w-b");
    assert.equal(trails.preferred("next", 2), null);
    const many = new PinRouter(manyFlow); // range → inc.map → collect
    many.record("range", null, "w-a");
    assert.equal(many.preferred("inc", 0), null, "children of a fan-out spread over the workers");
    many.record("inc", 0, "w-b");
    many.record("inc", 1, "w-b");
    many.record("inc", 2, "w-a");
    assert.equal(many.preferred("collect", null), "w-b", "a reduce goes where most of its input was made");
  });
});

describe("sluice worker (command line)", () => {
  const fails = (code: number, pattern: RegExp) => (e: Error) => {
    assert.match(e.message, new RegExp(`exited with ${code} before it was ready`));
    assert.match(e.message, pattern);
    return true;
  };

  it("exits 2 naming the option when the broker URL is bad or open to the network", { timeout: 60_000 }, async () => {
    await Promise.all([
      assert.rejects(startWorkerProcess({ redisUrl: "http://127.0.0.1:6379", queue: "q" }), fails(2, /the scheme http: is not supported/)),
      assert.rejects(startWorkerProcess({ redisUrl: "redis://10.1.2.3:6379", queue: "q" }), fails(2, /neither a password nor TLS.*--allow-insecure/)),
      assert.rejects(
        startWorkerProcess({ redisUrl: "redis://127.0.0.1:6379", queue: "q", concurrency: 0 }),
        fails(2, /--concurrency "0" is not a whole number ≥ 1/),
      ),
    ]);
  });

  it("exits 1 naming the URL when Redis cannot be reached", { timeout: 30_000 }, async () => {
    await assert.rejects(
      startWorkerProcess({ redisUrl: "redis://127.0.0.1:1", queue: "q" }),
      fails(1, /cannot use Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/),
    );
  });
});
