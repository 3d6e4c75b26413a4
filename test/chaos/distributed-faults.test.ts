/**
 * The short form of the distributed fault scenarios (`npm run chaos` runs the long one): real
 * `sluice worker` processes on a private redis-server, one fault each in the middle of the work.
 * Every scenario must end with every result received exactly once, every run Success, and nothing
 * left behind (Redis keys, stored values, processes).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { networkCut } from "../../chaos/scenarios/network-cut.js";
import { redisRestart } from "../../chaos/scenarios/redis-restart.js";
import { workerSigkill } from "../../chaos/scenarios/worker-sigkill.js";
import type { ChaosContext, ChaosRow } from "../../chaos/scenario.js";
import { privateRedisUnavailable } from "../support/distributed-redis-server.js";

const context: ChaosContext = { scale: "short", cutMs: 5000, log: () => undefined };
const missing = privateRedisUnavailable();

function assertClean(row: ChaosRow): void {
  const detail = [...row.notes, ...row.leftBehind].join("\n");
  assert.equal(row.wrong, 0, `runs in a wrong final state:\n${detail}`);
  assert.equal(row.lost, 0, `results lost:\n${detail}`);
  assert.equal(row.duplicates, 0, `results received twice:\n${detail}`);
  assert.deepEqual(row.leftBehind, [], "nothing left behind");
}

describe("distributed faults (short)", { skip: missing !== null && process.env.CI !== "true" ? missing : false }, () => {
  it("Redis restarted without persistence mid-run: the run queues its attempts again and ends with each result once", { timeout: 300_000 }, async () => {
    assert.equal(missing, null, missing ?? "");
    const row = await redisRestart.run(context);
    assertClean(row);
    assert.ok(
      row.notes.some((n) => /^[1-9]\d* recoveries/.test(n)),
      `the run reported the lost queue: ${row.notes.join("; ")}`,
    );
  });

  it("a worker SIGKILLed mid-task: its attempts run again elsewhere and each result arrives once", { timeout: 300_000 }, async () => {
    assert.equal(missing, null, missing ?? "");
    const row = await workerSigkill.run(context);
    assertClean(row);
    assert.ok(row.reruns > 0, "some attempts ran twice (on the killed worker, then on another)");
  });

  it("the workers' network to Redis cut for 5 s: work resumes and no result arrives twice", { timeout: 300_000 }, async () => {
    assert.equal(missing, null, missing ?? "");
    const row = await networkCut.run(context);
    assertClean(row);
  });
});
