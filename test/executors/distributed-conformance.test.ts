/**
 * The executor conformance suite against the distributed executor: real Redis, two `sluice worker`
 * processes loading the conformance flows by their module path.
 */
import { after, before } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runExecutorConformance } from "../../src/executors/conformance.js";
import { DistributedExecutor } from "../../src/executors/distributed/index.js";
import { deleteKeys, startWorkers, stopWorkers, uniqueQueue, type WorkerProcess } from "../support/distributed-workers.js";
import { serviceSuite, services } from "../support/services.js";

await serviceSuite(["redis"], "DistributedExecutor (2 worker processes)", () => {
  const queue = uniqueQueue("conformance");
  const resultDir = mkdtempSync(join(tmpdir(), "sluice-dist-conformance-"));
  let workers: WorkerProcess[] = [];

  before(async () => {
    workers = await startWorkers(2, { redisUrl: services.redisUrl, queue, concurrency: 4 });
  }, { timeout: 60_000 });

  after(async () => {
    await stopWorkers(workers);
    await deleteKeys(services.redisUrl, queue);
    rmSync(resultDir, { recursive: true, force: true });
  }, { timeout: 30_000 });

  runExecutorConformance("distributed", () => new DistributedExecutor({ redis: services.redisUrl, queuePrefix: queue, resultStore: resultDir }), { timeoutMs: 30_000 });
});
