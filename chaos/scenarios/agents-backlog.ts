/**
 * Three local agents draining one backlog: every run is created before any agent polls, then three agents
 * start together and race for the same label. Partway through (a third of the runs ended) one of them is
 * SIGKILLed; the two left must finish the backlog, the dead agent's claimed but unlaunched runs coming
 * back through the resurrection service. Every run must be deployed exactly once (one "Deployed by
 * agent" line, each step's log line once), none may stay Submitted, each must end Success. The row's
 * notes give each agent's share of the deploys (fairness) and the drain rate in runs per minute.
 */
import { isFinished } from "../../src/core/states.js";
import type { SluiceClient } from "../../src/client/index.js";
import { countRuns, createBacklog, openServerStage, serverRow } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

/** How long a run may stay Submitted without a sign of its process before it is rescheduled. */
const RESURRECTION_AFTER_MS = 15_000;
/** Runs each agent launches at the same time: a 2-core machine starts a few Node processes at once, not dozens. */
const RUNS_PER_AGENT = 3;
const AGENTS = ["chaos-agent-a", "chaos-agent-b", "chaos-agent-c"] as const;

/** The runs among `ids` not yet in a final state (a run the server does not list counts as unfinished). */
async function unfinished(client: SluiceClient, ids: ReadonlySet<string>): Promise<number> {
  let ended = 0;
  let cursor: string | undefined;
  do {
    const page = await client.listFlowRuns({ flowName: "agent-steps", limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    ended += page.items.filter((r) => ids.has(r.id) && isFinished(r.state.name)).length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return ids.size - ended;
}

export const agentsBacklog: ChaosScenario = {
  name: "agents-backlog",
  unavailable: async () => null,
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    // Each run is a Node process of its own (about a second of CPU): 300 drain in minutes on 2 cores, 1,000 would take a quarter hour.
    const runs = ctx.scale === "full" ? 300 : 30;
    const stage = await openServerStage("agents-backlog", "sqlite", RUNS_PER_AGENT);
    try {
      await stage.server.stop("SIGTERM");
      await stage.startServer({ SLUICE__SERVER__RESURRECTION_AFTER_MS: String(RESURRECTION_AFTER_MS) });
      const ids = await createBacklog(stage.client, runs, 20);
      const idSet = new Set(ids);
      ctx.log(`${runs} runs in the backlog; starting ${AGENTS.length} agents`);
      const startedAt = Date.now();
      const agents = await Promise.all(AGENTS.map((name) => stage.startAgent(name)));
      const victim = agents[AGENTS.length - 1]!;
      // Partway: a third of the backlog ended.
      for (;;) {
        if ((await unfinished(stage.client, idSet)) <= runs - Math.ceil(runs / 3)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const faultAt = Date.now();
      ctx.log(`SIGKILL agent ${AGENTS[AGENTS.length - 1]} (${victim.child.pid})`);
      victim.child.kill("SIGKILL");
      await victim.done;
      stage.agents.splice(stage.agents.indexOf(victim), 1);
      const submitted = (await stage.client.listFlowRuns({ state: ["Submitted"], limit: 1000 })).items.length;
      const deadline = Date.now() + Math.max(300_000, runs * 1000);
      let left = runs;
      while ((left = await unfinished(stage.client, idSet)) > 0 && Date.now() < deadline) {
        ctx.log(`${left} runs not ended yet`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      const drainedAt = Date.now();
      const outcome = await countRuns(stage.client, ids, 10_000);
      const stuck = (await stage.client.listFlowRuns({ state: ["Submitted"], limit: 1000 })).items.filter((r) => idSet.has(r.id)).length;
      const shares = new Map<string, number>(AGENTS.map((name) => [name, 0]));
      let deployedTwice = 0;
      let notDeployed = 0;
      for (const id of ids) {
        const deploys = (await stage.client.readLogs(id, { limit: 5000 })).items.filter((l) => l.message.startsWith("Deployed by agent"));
        if (deploys.length > 1) deployedTwice++;
        if (deploys.length === 0) notDeployed++;
        const by = AGENTS.find((name) => deploys[0]?.message.startsWith(`Deployed by agent ${name} `));
        if (by !== undefined) shares.set(by, shares.get(by)! + 1);
      }
      const leftBehind = await stage.tearDown();
      const drainMinutes = (drainedAt - startedAt) / 60_000;
      const notes = [
        `drained ${runs} runs in ${((drainedAt - startedAt) / 1000).toFixed(1)} s (${(runs / drainMinutes).toFixed(0)} runs/min) with ${AGENTS.length} agents of ${RUNS_PER_AGENT} runs at a time`,
        `deploys per agent: ${[...shares].map(([name, n]) => `${name} ${n} (${((100 * n) / runs).toFixed(0)}%)`).join(", ")}; ${AGENTS[AGENTS.length - 1]} was SIGKILLed after a third of the runs ended`,
        `${submitted} runs (of any agent) were Submitted when the agent died, ${stuck} still Submitted at the end; ${deployedTwice} runs deployed again after a reschedule (their first process never started); ${notDeployed} runs without a "Deployed by agent" line (their agent died between launch and that line)`,
      ];
      if (left > 0) notes.push(`${left} runs had not ended after the deadline`);
      return {
        ...serverRow(`${AGENTS.length} agents drain a backlog, one SIGKILLed`, runs, outcome, { settleMs: drainedAt - faultAt, leftBehind, notes }),
        reruns: deployedTwice,
      };
    } catch (error) {
      await stage.tearDown().catch(() => undefined);
      throw error;
    }
  },
};
