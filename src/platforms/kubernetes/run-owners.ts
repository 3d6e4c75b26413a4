/**
 * Which runs one Kubernetes agent manages, among every run whose Jobs it sees in its namespace. Several
 * agents may share a namespace (e.g. one per label): none deletes, fails or logs on a run another agent
 * claimed.
 *
 * An agent manages the runs it launched since it started (the JobManager tracks them) and, among the
 * others, those the server says it claimed (the run's `agentId` is the agent's id, which stays the same
 * for the same agent name: its runs from before a restart) and those no agent claimed (launched without
 * an agent, or unknown to the server), whose finished Jobs nobody else would clean up. A run's Jobs may
 * carry the label of the agent that created its stage "deploy" Job: a label naming another agent settles
 * the question without asking the server. The Jobs the environments create carry no agent label, so for
 * them the server is asked, once per run.
 */
import type { V1Job } from "@kubernetes/client-node";
import type { DeployContext } from "../../agents/deployer.js";
import { SluiceApiError } from "../../client/index.js";
import { AGENT_LABEL } from "../../deployment/contract.js";
import { dnsSlug } from "./names.js";

/** The agent label value buildAgentJob gives an agent's Jobs. */
export const agentLabelValue = (agentName: string): string => dnsSlug(agentName) || "agent";

export class RunOwners {
  /** Runs decided: true when this agent manages them, false when another agent claimed them. */
  readonly #decided = new Map<string, boolean>();

  /**
   * Whether this agent manages the run of these Jobs; undefined when it cannot be told now (the server did
   * not answer), so the run is left alone until a later pass asks again.
   */
  async owns(ctx: DeployContext, flowRunId: string, jobs: readonly V1Job[]): Promise<boolean | undefined> {
    const known = this.#decided.get(flowRunId);
    if (known !== undefined) return known;
    const mine = agentLabelValue(ctx.agent.name);
    if (jobs.some((j) => (j.metadata?.labels?.[AGENT_LABEL] ?? mine) !== mine)) return this.#decide(flowRunId, false);
    let agentId: string | null;
    try {
      agentId = (await ctx.client.getFlowRun(flowRunId)).agentId;
    } catch (error) {
      // A run the server does not have was claimed by no agent; any other failure is asked again later.
      if (error instanceof SluiceApiError && error.status === 404) return this.#decide(flowRunId, true);
      ctx.logger.debug({ flowRunId, err: error }, `cannot tell whether flow run ${flowRunId} is this agent's yet: ${String(error)}`);
      return undefined;
    }
    return this.#decide(flowRunId, agentId === null || agentId === ctx.agent.id);
  }

  #decide(flowRunId: string, mine: boolean): boolean {
    this.#decided.set(flowRunId, mine);
    return mine;
  }

  /** Forgets the runs that no longer have any Job in sight (their ids are not reused). */
  keepOnly(flowRunIds: ReadonlySet<string>): void {
    for (const id of this.#decided.keys()) if (!flowRunIds.has(id)) this.#decided.delete(id);
  }
}
