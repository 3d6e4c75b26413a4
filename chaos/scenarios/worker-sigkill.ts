/**
 * SIGKILL of distributed workers in the middle of tasks, repeatedly: a killed worker's jobs are taken
 * over by the others once its claims expire, and run again; each result must reach its flow run exactly
 * once. A new worker replaces each killed one.
 */
import { countRow, openStage, privateRedisUnavailable, ResultLedger, sleep, startRuns, type RunSpec } from "../distributed-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

export const workerSigkill: ChaosScenario = {
  name: "worker-sigkill",
  unavailable: async () => privateRedisUnavailable(),
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const stage = await openStage("chaos-kill", 4);
    const notes: string[] = [];
    try {
      await Promise.all([stage.startWorker(), stage.startWorker(), stage.startWorker()]);
      const spec: RunSpec = {
        runs: full ? 3 : 1,
        n: full ? 300 : 160,
        ms: 250,
        // Short claims so take-overs happen within the scenario; more take-overs per job than the default
        // allows, since this kills workers far more often than a real cluster loses them.
        executor: () => stage.executor({ lockDurationMs: 2000, stalledIntervalMs: 500, maxStalledCount: 5 }),
      };
      const ledger = new ResultLedger();
      const done = startRuns(spec, ledger, "worker-sigkill");
      await ledger.reached(10);
      const faultAt = Date.now();
      const kills = full ? 5 : 2;
      let finished = false;
      void done.then(() => (finished = true));
      const replacements: Promise<unknown>[] = [];
      for (let k = 0; k < kills && !finished; k++) {
        // Keep at least two workers serving: wait for the replacements when the kills ran ahead of them.
        if (stage.workers.length < 2) await Promise.all(replacements);
        const victim = stage.workers.splice(Math.floor(Math.random() * stage.workers.length), 1)[0]!;
        ctx.log(`SIGKILL worker ${victim.pid} after ${ledger.count} results`);
        victim.child.kill("SIGKILL");
        await victim.exited;
        const replacement = stage.startWorker();
        replacement.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
        replacements.push(replacement);
        await sleep(1000);
      }
      await Promise.all(replacements);
      const outcome = await done;
      const settleMs = Date.now() - faultAt;
      const reruns = stage.reruns();
      const leftBehind = await stage.tearDown();
      notes.push(`${stage.started.length - 3} workers killed and replaced; ${reruns} tasks ran twice`);
      return countRow("SIGKILL of a worker mid-task, repeatedly", spec, ledger, outcome, { settleMs, reruns, leftBehind, notes });
    } catch (error) {
      await stage.tearDown().catch(() => undefined);
      throw error;
    }
  },
};
