/**
 * The executor conformance suite against the distributed executor: real Redis, two `sluice worker`
 * processes loading the conformance flows by their module path.
 */
import { runExecutorConformance } from "../../src/executors/conformance.js";
import { useWorkerPool } from "../support/distributed-workers.js";
import { serviceSuite, services } from "../support/services.js";

await serviceSuite(["redis"], "DistributedExecutor (2 worker processes)", () => {
  const pool = useWorkerPool("dist-conformance", 2, { redisUrl: services.redisUrl, concurrency: 4 });
  runExecutorConformance("distributed", () => pool.executor(), { timeoutMs: 30_000 });
});
