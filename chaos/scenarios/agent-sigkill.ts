/**
 * SIGKILL of a local agent while it is deploying a batch of runs, then a new agent: the runs whose
 * processes had started go on by themselves (they report to the server, not through the agent); those it
 * had claimed but not started stay Submitted until the resurrection service puts them back to Scheduled,
 * and the new agent deploys them. No run may execute twice, none may stay Submitted, each must end
 * Success with its task runs and log lines.
 */
import { countRuns, openServerStage, serverRow } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

/** How long a run may stay Submitted without a sign of its process before it is rescheduled. */
const RESURRECTION_AFTER_MS = 15_000;

export const agentSigkill: ChaosScenario = {
  name: "agent-sigkill",
  unavailable: async () => null,
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const runs = full ? 20 : 6;
    const stage = await openServerStage("agent-kill", "sqlite", runs);
    try {
      await stage.server.stop("SIGTERM");
      await stage.startServer({ SLUICE__SERVER__RESURRECTION_AFTER_MS: String(RESURRECTION_AFTER_MS) });
      const first = await stage.startAgent("chaos-agent-1");
      const ids = await stage.createRuns(runs, 300);
      // Mid-deploy: the first run claimed, the others still being claimed and launched.
      for (;;) {
        const claimed = (await stage.client.listFlowRuns({ state: ["Submitted", "Running"], limit: 1000 })).items.length;
        if (claimed >= 1) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const faultAt = Date.now();
      ctx.log(`SIGKILL agent ${first.child.pid}`);
      first.child.kill("SIGKILL");
      await first.done;
      stage.agents.splice(stage.agents.indexOf(first), 1);
      const submitted = (await stage.client.listFlowRuns({ state: ["Submitted"], limit: 1000 })).items.length;
      await stage.startAgent("chaos-agent-2");
      const outcome = await countRuns(stage.client, ids, 300_000);
      const settleMs = Date.now() - faultAt;
      let deployedAgain = 0;
      for (const id of ids) {
        const deploys = (await stage.client.readLogs(id, { limit: 5000 })).items.filter((l) => l.message.startsWith("Deployed by agent")).length;
        if (deploys > 1) deployedAgain++;
      }
      const leftBehind = await stage.tearDown();
      const notes = [
        `${submitted} runs were Submitted when the agent died; ${deployedAgain} runs were deployed again after a reschedule (their first process never started)`,
      ];
      return { ...serverRow("SIGKILL of an agent mid-deploy, then a new agent", runs, outcome, { settleMs, leftBehind, notes }), reruns: deployedAgain };
    } catch (error) {
      await stage.tearDown().catch(() => undefined);
      throw error;
    }
  },
};
