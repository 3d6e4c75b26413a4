/**
 * The network between the workers and Redis cut (a TCP proxy that holds every byte, as a link that drops
 * packets does) for `cutMs`, then restored. The flow runs reach Redis directly throughout. Work must
 * resume without duplicate results: claims that expired during the cut are taken over, the late
 * outcomes of the first runners are ignored.
 */
import { TcpProxy } from "../../test/support/distributed-proxy.js";
import { countRow, openStage, privateRedisUnavailable, ResultLedger, sleep, startRuns, type RunSpec } from "../distributed-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

export const networkCut: ChaosScenario = {
  name: "network-cut",
  unavailable: async () => privateRedisUnavailable(),
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const stage = await openStage("chaos-cut", 4);
    const proxy = await TcpProxy.start(stage.redis.port);
    const notes: string[] = [];
    try {
      await Promise.all([stage.startWorker(proxy.url), stage.startWorker(proxy.url)]);
      const spec: RunSpec = {
        runs: full ? 2 : 1,
        n: full ? 200 : 100,
        ms: 50,
        // Claims shorter than the cut, so some expire during it and are taken over afterwards.
        executor: () => stage.executor({ lockDurationMs: Math.min(15_000, Math.max(1000, Math.floor(ctx.cutMs / 3))), stalledIntervalMs: 500 }),
      };
      const ledger = new ResultLedger();
      const done = startRuns(spec, ledger, "network-cut");
      await ledger.reached(Math.floor((spec.runs * spec.n) / 5));
      ctx.log(`cutting the workers' network for ${ctx.cutMs} ms after ${ledger.count} results`);
      const faultAt = Date.now();
      proxy.cut();
      const before = ledger.count;
      await sleep(ctx.cutMs);
      const during = ledger.count - before;
      proxy.restore();
      const outcome = await done;
      const settleMs = Date.now() - faultAt;
      const reruns = stage.reruns();
      const leftBehind = await stage.tearDown();
      notes.push(`${during} results arrived during the ${ctx.cutMs} ms cut (in flight before it)`);
      return countRow(`network worker↔Redis cut ${Math.round(ctx.cutMs / 1000)} s`, spec, ledger, outcome, { settleMs, reruns, leftBehind, notes });
    } catch (error) {
      await stage.tearDown().catch(() => undefined);
      throw error;
    } finally {
      await proxy.close();
    }
  },
};
