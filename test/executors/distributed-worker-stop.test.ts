/**
 * A distributed worker's stop is bounded: when its broker is gone (a worker cluster's ephemeral Redis
 * deleted first, a network cut), stop() gives up on Redis after the shutdown grace and a short margin,
 * instead of waiting for a broker that will not come back.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/core/logger.js";
import { DistributedWorker } from "../../src/executors/distributed/index.js";
import { PrivateRedis, privateRedisUnavailable } from "../support/distributed-redis-server.js";

const unavailable = privateRedisUnavailable();

const skip = unavailable !== null && process.env.CI !== "true" ? unavailable : false;

it("stop() resolves within the shutdown grace and its margin when the broker is gone", { skip, timeout: 90_000 }, async () => {
  assert.equal(unavailable, null, unavailable ?? "");
  const redis = await PrivateRedis.start();
  const worker = new DistributedWorker({ redis: redis.url, queuePrefix: "stop-bound", shutdownGraceMs: 500, logger: createLogger({ level: "silent" }) });
  try {
    await worker.start();
    await redis.kill();
    const started = Date.now();
    await worker.stop();
    const took = Date.now() - started;
    // Bounded at 500 ms of grace + 3 s; an unbounded stop never resolves. The margin absorbs a loaded machine.
    assert.ok(took < 30_000, `stop() took ${took} ms with the broker gone`);
  } finally {
    await redis.stop();
  }
});
