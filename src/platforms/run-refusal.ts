/**
 * The check an agent's deployer makes when it claims a run: is the run's environment one this agent kind
 * runs? If not, the run is refused before anything is launched, with an error naming the agent kinds
 * that do run it, so the user routes the flow (labels) to one of them or changes its environment. Which
 * kinds run which environments comes from the platforms' declarations (capabilities.ts); the agent hands
 * its deployer the answer, as platforms do not read the platform list.
 */
import { SluiceError } from "../core/errors.js";

/** What a deployer knows of the matrix. */
export interface RunRouting {
  /** The serialized environment types this agent kind runs. @default undefined (no check: every run is deployed) */
  runs?: ReadonlySet<string>;
  /** The agent kinds that run an environment type. @default undefined (the error lists the types this kind runs instead) */
  runnersOf?: (type: string) => readonly string[];
}

/** Throws DEPLOY_FAILED when an agent of `agentKind` does not run flow run `run`'s environment. */
export function refuseUnlessRuns(agentKind: string, routing: RunRouting, run: { flowRunId: string; flowName: string; environmentType: string }): void {
  const { runs, runnersOf } = routing;
  if (runs === undefined || runs.has(run.environmentType)) return;
  const runners = runnersOf?.(run.environmentType) ?? [];
  const where =
    runners.length > 0
      ? `runs on agent kinds ${runners.join(", ")}`
      : runnersOf
        ? "runs on no agent kind"
        : `is not one a ${agentKind} agent runs (it runs ${[...runs].sort().join(", ")})`;
  throw new SluiceError(
    "DEPLOY_FAILED",
    `a ${agentKind} agent cannot run flow "${run.flowName}": its environment ${run.environmentType} ${where}; route the flow to such an agent with labels (sluice register --label l, sluice agent start <kind> --label l) or change its environment`,
    { flowRunId: run.flowRunId, field: "environment.type", value: run.environmentType, kind: agentKind },
  );
}
