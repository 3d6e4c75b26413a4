/**
 * A distributed run whose large values go through an S3-compatible result store (the stand-in of
 * test/support, which verifies every signed request): workers put results with credentials from their
 * environment, the flow run's process gets them, and the run's objects are deleted at its end.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "../../src/core/logger.js";
import { DistributedExecutor } from "../../src/executors/distributed/index.js";
import { bigFlow } from "../support/distributed-flows.js";
import { startS3StandIn, type S3StandIn } from "../support/distributed-s3-standin.js";
import { deleteKeys, startWorkers, stopWorkers, uniqueQueue, type WorkerProcess } from "../support/distributed-workers.js";
import { serviceSuite, services } from "../support/services.js";

const credentials = { accessKeyId: "AKDISTRIBUTED", secretAccessKey: "distributed/secret+key" };

await serviceSuite(["redis"], "DistributedExecutor with an S3-compatible result store", () => {
  const queue = uniqueQueue("s3");
  let s3: S3StandIn;
  let workers: WorkerProcess[] = [];

  before(
    async () => {
      s3 = await startS3StandIn({ ...credentials, region: "us-east-1", bucket: "sluice-results" });
      workers = await startWorkers(1, {
        redisUrl: services.redisUrl,
        queue,
        env: {
          SLUICE__EXECUTOR__RESULT_STORE_ACCESS_KEY_ID: credentials.accessKeyId,
          SLUICE__EXECUTOR__RESULT_STORE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        },
      });
    },
    { timeout: 60_000 },
  );

  after(
    async () => {
      await stopWorkers(workers);
      await deleteKeys(services.redisUrl, queue);
      await s3.close();
    },
    { timeout: 30_000 },
  );

  it("moves large results and inputs through the bucket and empties it after the run", { timeout: 60_000 }, async () => {
    const executor = new DistributedExecutor({
      redis: services.redisUrl,
      queuePrefix: queue,
      resultStore: `s3://sluice-results/runs?endpoint=${encodeURIComponent(s3.endpoint)}`,
      resultStoreCredentials: credentials,
      resultThresholdBytes: 1024,
    });
    const result = await bigFlow.run({ logger: createLogger({ level: "silent" }), logLevel: "info", parameters: { n: 6 }, executor });
    assert.equal(result.state.name, "Success", result.state.message);
    assert.deepEqual((result.value as { lengths: number[] }).lengths, [2000, 2000, 2000, 2000, 2000, 2000]);
    const count = (method: string): number =>
      s3.requests.filter((r) => r.method === method && r.path.startsWith("/sluice-results/runs/") && r.status < 300).length;
    assert.equal(count("PUT"), 7, "6 results (by the worker) and 1 input (by the executor)");
    assert.equal(count("GET"), 7, "6 results (by the executor) and 1 input (by the worker)");
    assert.ok(
      s3.requests.some((r) => r.method === "GET" && r.query.includes("list-type=2")),
      "the run's objects were listed at clean-up",
    );
    assert.equal(count("DELETE"), 7, "every object of the run deleted at its end");
    assert.equal(s3.objects.size, 0);
    assert.ok(
      s3.requests.every((r) => r.status < 300),
      JSON.stringify(s3.requests.filter((r) => r.status >= 300)),
    );
  });
});
