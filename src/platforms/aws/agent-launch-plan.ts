/**
 * How the ECS agent launches one claimed run, from the server's record of its environment and the
 * agent's own options (a pure function, tested with plain objects):
 * - the launch type: the FargateTaskEnvironment's own, else the agent's;
 * - the AWS options: the agent's (cluster, network, roles, log driver), with the environment's serialized
 *   scalar options over them (sizes, family, roles, cluster, platform version...), validated again since
 *   the record comes from the server;
 * - the stage the task runs: "run" (the flow itself, in this one task) for the kinds that run in it, unless
 *   the environment has structured options only its image holds: then "deploy", so the environment loaded
 *   from the image launches the run with all its options (a second task start, said on the run's log);
 *   the agent's own task then takes the agent's options only. A cluster kind always runs "deploy": its
 *   scheduler is that task.
 */
import type { ClaimedFlowRun } from "../../client/index.js";
import { SluiceError } from "../../core/errors.js";
import type { EcsAgentOptions } from "./ecs-agent-options.js";
import { splitFargateOptions, type SplitOptions } from "./options.js";
import { fargateOptionsFromRecord, SERIALIZED_OWN_KEYS } from "./serialized-options.js";

const FARGATE_TYPE = "FargateTaskEnvironment";
/**
 * Kinds the agent accepts whose run is their own `execute()`: a cluster's scheduler starts the run's broker
 * and workers and schedules the flow on them, so the task runs stage "deploy" (stage "run" would run the
 * flow in the task alone, without its cluster).
 */
const RUNS_AS_DEPLOY = new Set(["CloudClusterEnvironment"]);

export interface AgentLaunchPlan {
  launchType: "FARGATE" | "EC2";
  /** The options of the task definition and RunTask. */
  aws: SplitOptions;
  /** What the task runs: the flow ("run") or its environment's own launch ("deploy"). */
  stage: "run" | "deploy";
  /** How long the task may take to start. */
  startDeadlineMs: number;
  /** The environment's structured options that only its image holds (why stage is "deploy"); empty otherwise. */
  inImage: string[];
}

/** The launch type a run's task uses: its FargateTaskEnvironment's own, else the agent's. */
export function launchTypeOf(run: ClaimedFlowRun, fallback: "FARGATE" | "EC2"): "FARGATE" | "EC2" {
  const own = run.flow.environment.launchType;
  return own === "FARGATE" || own === "EC2" ? own : fallback;
}

/** The plan of one run; a record whose options are invalid or name another region fails naming the field. */
export function agentLaunchPlan(
  run: ClaimedFlowRun,
  o: Pick<EcsAgentOptions, "launchType" | "aws" | "inTaskTypes" | "startDeadlineMs" | "access">,
): AgentLaunchPlan {
  const launchType = launchTypeOf(run, o.launchType);
  const base = o.aws[launchType];
  const inTask = o.inTaskTypes.has(run.flow.environment.type);
  if (run.flow.environment.type !== FARGATE_TYPE) {
    const stage = inTask && !RUNS_AS_DEPLOY.has(run.flow.environment.type) ? "run" : "deploy";
    return { launchType, aws: base, stage, startDeadlineMs: o.startDeadlineMs, inImage: [] };
  }
  const flowRunId = run.flowRun.id;
  const { options, inImage } = fargateOptionsFromRecord(run.flow.environment);
  const ownKeys: readonly string[] = SERIALIZED_OWN_KEYS;
  const awsOptions = Object.fromEntries(Object.entries(options).filter(([k]) => !ownKeys.includes(k)));
  let own: SplitOptions;
  try {
    own = splitFargateOptions(awsOptions);
  } catch (e) {
    throw new SluiceError(
      "DEPLOY_FAILED",
      `ECS: flow "${run.flow.name}": its FargateTaskEnvironment's ${(e as Error).message.replace(/^FargateTaskEnvironment: /, "")}`,
      {
        flowRunId,
        kind: "ecs",
        field: (e as SluiceError).field,
        cause: e,
      },
    );
  }
  const region = own.environment.regionName;
  if (region !== undefined && o.access.regionName !== undefined && region !== o.access.regionName) {
    throw new SluiceError(
      "DEPLOY_FAILED",
      `ECS: flow "${run.flow.name}" runs in region ${region} (its FargateTaskEnvironment's regionName) but this agent launches in ${o.access.regionName}: start an agent with REGION_NAME=${region} (or SLUICE__AWS__REGION_NAME) and route the flow to it by label`,
      { flowRunId, kind: "ecs", field: "regionName", value: region },
    );
  }
  // The environment launches its own task from the image: the agent's task is only its stage "deploy",
  // with the agent's options (the environment's family would otherwise hold two different definitions).
  if (inImage.length > 0) return { launchType, aws: base, stage: "deploy", startDeadlineMs: o.startDeadlineMs, inImage };
  const taskDefinition = { ...base.taskDefinition, ...own.taskDefinition };
  const runTask = { ...base.runTask, ...own.runTask };
  // A definition that is not awsvpc takes no network configuration (the agent's is for awsvpc tasks).
  if (taskDefinition.networkMode !== undefined && taskDefinition.networkMode !== "awsvpc") delete runTask.networkConfiguration;
  const deadline = options.startDeadlineMs;
  return {
    launchType,
    aws: { environment: { ...base.environment, ...own.environment, launchType }, taskDefinition, runTask },
    stage: inTask ? "run" : "deploy",
    startDeadlineMs: typeof deadline === "number" ? deadline : o.startDeadlineMs,
    inImage,
  };
}
