/**
 * The deployment matrix, from the platforms' declarations: an agent kind runs the environment kinds its
 * platform lists in `agent.launches` (it launches them on its platform) and every kind that runs in
 * process (`inProcess`: the run happens wherever the agent put stage "deploy": a child process, a
 * container, a pod). Any other pair is refused when the agent claims the run (run-refusal.ts).
 * docs/agents.md prints this matrix; test/deployment/matrix.test.ts runs every cell.
 */
import { PLATFORMS } from "./index.js";
import type { RunRouting } from "./run-refusal.js";

/** How an agent kind runs an environment kind. */
export type Capability = "launches" | "in place" | "refused";

/** One cell of the matrix. */
export interface MatrixCell {
  /** The environment kind (e.g. "docker") and its serialized type ("DockerEnvironment"). */
  environment: string;
  type: string;
  agent: string;
  how: Capability;
}

/** Every environment kind against every agent kind, in the platforms' order. */
export function deploymentMatrix(): MatrixCell[] {
  const agents = PLATFORMS.flatMap((p) => ("agent" in p && p.agent ? [p.agent] : []));
  return PLATFORMS.flatMap((platform) =>
    Object.entries(platform.environments).flatMap(([environment, kind]) =>
      agents.map((agent): MatrixCell => ({
        environment,
        type: kind.type,
        agent: agent.kind,
        how: agent.launches.includes(environment) ? "launches" : "inProcess" in kind && kind.inProcess === true ? "in place" : "refused",
      })),
    ),
  );
}

/** The agent kinds that run environments serialized as `type`. */
export function agentKindsFor(type: string): string[] {
  return deploymentMatrix()
    .filter((c) => c.type === type && c.how !== "refused")
    .map((c) => c.agent);
}

/** What a deployer of `agent` needs to refuse the runs it cannot run (see run-refusal.ts). */
export function routingOf(agent: string): Required<RunRouting> {
  const runs = new Set(
    deploymentMatrix()
      .filter((c) => c.agent === agent && c.how !== "refused")
      .map((c) => c.type),
  );
  return { runs, runnersOf: agentKindsFor };
}
