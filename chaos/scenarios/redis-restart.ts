/**
 * Redis restarted without persistence in the middle of distributed runs: every queue, job, run marker
 * and outcome stream vanishes at once. The flow runs must notice, queue what was in flight again, and
 * end Success with each result received once; or fail with the reason. Never hang.
 */
import { countRow, openStage, privateRedisUnavailable, ResultLedger, startRuns, type RunSpec } from "../distributed-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

export const redisRestart: ChaosScenario = {
  name: "redis-restart",
  unavailable: async () => privateRedisUnavailable(),
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const stage = await openStage("chaos-redis", 4);
    const notes: string[] = [];
    let recoveries = 0;
    try {
      await Promise.all([stage.startWorker(), stage.startWorker()]);
      const spec: RunSpec = {
        runs: full ? 3 : 1,
        n: 300,
        ms: full ? 40 : 20,
        executor: () => stage.executor(),
        onLog: (message) => {
          if (/lost the run's queue/.test(message)) recoveries++;
        },
      };
      const ledger = new ResultLedger();
      const done = startRuns(spec, ledger, "redis-restart");
      await ledger.reached(Math.floor((spec.runs * spec.n) / 5));
      ctx.log(`restarting Redis after ${ledger.count} results`);
      const faultAt = Date.now();
      await stage.redis.restart(full ? 1000 : 200);
      const outcome = await done;
      const settleMs = Date.now() - faultAt;
      const reruns = stage.reruns();
      const leftBehind = await stage.tearDown();
      notes.push(`${recoveries} recoveries of a lost queue reported by the runs`);
      return countRow("Redis restarted without persistence mid-run", spec, ledger, outcome, { settleMs, reruns, leftBehind, notes });
    } catch (error) {
      await stage.tearDown().catch(() => undefined);
      throw error;
    }
  },
};
