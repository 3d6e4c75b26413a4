/**
 * A backlog of 10,000 runs (500 short) drained by three agents racing for the same label. The agents are
 * Sluice's own polling loop (claims, capacity, heartbeats, the "Deployed by agent" line) in this process,
 * with a deployer that runs each run in place: it reports Running, then Success, through the API, so a
 * run costs the server its requests and not a Node process (which would take hours for 10,000 on a
 * small machine; agents-backlog measures the drain with real processes). Every run must be deployed
 * exactly once and end Success; the notes give the drain rate and each agent's share.
 */
import { Agent } from "../../src/agents/agent.js";
import type { DeployContext, Deployer, Deployment } from "../../src/agents/deployer.js";
import type { ClaimedFlowRun, SluiceClient } from "../../src/client/index.js";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/core/logger.js";
import { createBacklog, LABEL, openServerStage } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

const AGENTS = ["backlog-agent-a", "backlog-agent-b", "backlog-agent-c"] as const;
/** Runs each agent holds at once. */
const RUNS_PER_AGENT = 20;

/** Runs each claimed run in place: Running, then Success, each a request to the server. Counts every deploy. */
class InPlaceDeployer implements Deployer {
  readonly kind = "in-place";
  constructor(
    private readonly deploys: Map<string, string[]>,
    private readonly agentName: string,
  ) {}

  deploy(run: ClaimedFlowRun, ctx: DeployContext): Promise<Deployment> {
    const id = run.flowRun.id;
    this.deploys.set(id, [...(this.deploys.get(id) ?? []), this.agentName]);
    const done = (async () => {
      await ctx.client.setFlowRunState(id, { name: "Running" });
      await ctx.client.setFlowRunState(id, { name: "Success", result: { by: this.agentName } });
    })();
    // A run that could not report is failed by the agent's own error path below: nothing is hidden.
    return Promise.resolve({ description: "run in place", done: done.catch((error: unknown) => ctx.failRun(id, `in-place run failed: ${String(error)}`)) });
  }
}

/** The final state of every run of `ids`, by id (runs the server does not list are missing). */
async function statesOf(client: SluiceClient, ids: ReadonlySet<string>): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await client.listFlowRuns({ flowName: "agent-steps", limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    for (const run of page.items) if (ids.has(run.id)) states.set(run.id, run.state.name);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return states;
}

export const backlog10k: ChaosScenario = {
  name: "backlog-10k",
  unavailable: async () => null,
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const runs = Number(process.env.SLUICE_CHAOS_BACKLOG_RUNS ?? (ctx.scale === "full" ? 10_000 : 500));
    const stage = await openServerStage("backlog-10k", "sqlite", RUNS_PER_AGENT);
    const agents: Agent[] = [];
    try {
      const createdFrom = Date.now();
      const ids = await createBacklog(stage.client, runs, 50);
      const idSet = new Set(ids);
      const createSeconds = (Date.now() - createdFrom) / 1000;
      ctx.log(`${runs} runs created in ${createSeconds.toFixed(1)} s; starting ${AGENTS.length} agents`);
      const deploys = new Map<string, string[]>();
      const startedAt = Date.now();
      for (const name of AGENTS) {
        const config = loadConfig({
          file: false,
          env: {
            SLUICE__HOME: stage.home,
            SLUICE__API__URL: stage.url,
            SLUICE__AGENT__NAME: name,
            SLUICE__AGENT__LABELS: LABEL,
            SLUICE__AGENT__MAX_CONCURRENT_RUNS: String(RUNS_PER_AGENT),
            SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "10",
            SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "300",
          },
        });
        const agent = new Agent({ deployer: new InPlaceDeployer(deploys, name), client: stage.client, config, logger: createLogger({ level: "warn" }) });
        agents.push(agent);
        await agent.start();
      }
      const deadline = Date.now() + Math.max(600_000, runs * 200);
      let lastLog = Date.now();
      while (Date.now() < deadline) {
        const finished = [...deploys.keys()].length;
        if (finished >= runs && agents.every((a) => a.inFlight === 0)) break;
        if (Date.now() - lastLog > 10_000) {
          ctx.log(`${finished} of ${runs} runs deployed`);
          lastLog = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const drainedAt = Date.now();
      await Promise.all(agents.splice(0).map((a) => a.stop()));
      const states = await statesOf(stage.client, idSet);
      let lost = 0;
      let twice = 0;
      let wrong = 0;
      const notes: string[] = [];
      for (const id of ids) {
        const by = deploys.get(id) ?? [];
        if (by.length === 0) lost++;
        if (by.length > 1) {
          twice++;
          if (twice <= 5) notes.push(`run ${id} deployed ${by.length} times (by ${by.join(", ")})`);
        }
        if (states.get(id) !== "Success") {
          wrong++;
          if (wrong <= 5) notes.push(`run ${id} ended ${states.get(id) ?? "unlisted"}`);
        }
      }
      const shares = AGENTS.map((name) => `${name} ${[...deploys.values()].filter((by) => by[0] === name).length}`);
      const minutes = (drainedAt - startedAt) / 60_000;
      notes.unshift(
        `${runs} runs created in ${createSeconds.toFixed(1)} s, drained in ${((drainedAt - startedAt) / 1000).toFixed(1)} s (${(runs / minutes).toFixed(0)} runs/min) by ${AGENTS.length} agents of ${RUNS_PER_AGENT} runs at a time; deploys per agent: ${shares.join(", ")}`,
      );
      const leftBehind = await stage.tearDown();
      return {
        fault: `${AGENTS.length} agents drain a backlog of ${runs} runs (in place)`,
        runs,
        tasks: 0,
        lost,
        duplicates: twice,
        reruns: twice,
        wrong,
        leftBehind,
        settleMs: drainedAt - startedAt,
        notes,
      };
    } catch (error) {
      await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
      await stage.tearDown().catch(() => undefined);
      throw error;
    }
  },
};
