/**
 * The label rule: an agent takes a run only if the agent's labels include all of the run's labels. A run
 * without labels goes only to agents that accept unlabelled work: by default the agents without labels;
 * an agent registered with `acceptUnlabelled: true` takes them too (and `false` refuses them).
 * The claim query implements the same rule in SQL; this function states it for tests and callers.
 */

/** Labels as stored and returned: unique and sorted. */
export const normalizeLabels = (labels: readonly string[]): string[] => [...new Set(labels)].sort();

/** The default of `acceptUnlabelled`: true for an agent without labels. */
export const defaultAcceptUnlabelled = (agentLabels: readonly string[]): boolean => agentLabels.length === 0;

export interface LabelledAgent {
  labels: readonly string[];
  acceptUnlabelled: boolean;
}

export function agentAccepts(agent: LabelledAgent, runLabels: readonly string[]): boolean {
  if (runLabels.length === 0) return agent.acceptUnlabelled;
  const have = new Set(agent.labels);
  return runLabels.every((label) => have.has(label));
}
