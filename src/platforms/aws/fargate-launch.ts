/**
 * One flow run as one ECS task, end to end, independent of who asks (the environment's execute, or the
 * ECS agent doing setup and launch itself so a run pays for one task start):
 * - `splitRunEnv`: the run contract's variables, divided into those shared by every run of the flow (into
 *   the task definition) and those of this run only (RunTask overrides: API key, run id, image);
 * - `planTaskDefinition`: the definition to register (family derived from the content unless named);
 * - `launchFlowTask`: register-or-reuse, RunTask, then follow the task to STOPPED.
 */
import type { DefinitionRegistrar, RegisteredDefinition } from "./definition-registrar.js";
import { familyFor } from "./definition-compare.js";
import type { EcsApi, Json } from "./ecs-client.js";
import type { TaskFailure } from "./failures.js";
import { RUN_SPECIFIC_VARIABLES } from "./names.js";
import type { SplitOptions } from "./options.js";
import { buildRunTaskInput } from "./run-task.js";
import { buildTaskDefinition, type TaskDefinitionSpec } from "./task-definition.js";
import { startTask, watchTask, type WatchOptions, type WatchResult } from "./task-watcher.js";

/** The run contract divided between the shared definition and this run's overrides. */
export function splitRunEnv(env: Readonly<Record<string, string>>): { shared: Record<string, string>; perRun: Record<string, string> } {
  const shared: Record<string, string> = {};
  const perRun: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) (RUN_SPECIFIC_VARIABLES.includes(name) ? perRun : shared)[name] = value;
  return { shared, perRun };
}

export interface PlanInput {
  options: SplitOptions;
  flowName: string;
  image: string;
  /** Program and arguments of the flow container. */
  command: readonly string[];
  /** Variables shared by every run (see splitRunEnv). */
  sharedEnv: Readonly<Record<string, string>>;
}

/** The definition to register: built from the options, with the family named by them or derived from the content. */
export function planTaskDefinition(input: PlanInput): TaskDefinitionSpec & { family: string } {
  const spec = buildTaskDefinition({
    options: input.options.taskDefinition,
    launchType: input.options.environment.launchType,
    image: input.image,
    command: input.command,
    env: input.sharedEnv,
  });
  return { ...spec, family: spec.family ?? familyFor(input.flowName, spec as Json) };
}

export interface LaunchInput {
  api: EcsApi;
  registrar: DefinitionRegistrar;
  options: SplitOptions;
  definition: TaskDefinitionSpec & { family: string };
  flowRunId: string;
  /** Variables of this run only (see splitRunEnv). */
  perRunEnv: Readonly<Record<string, string>>;
  /** Watch settings (poll interval, start deadline, cancel signal, status callback). */
  watch?: Omit<WatchOptions, "api" | "taskArn" | "cluster" | "definition">;
  /** Called once the task is started, before watching (e.g. to log its ARN). @default undefined */
  onStarted?: (taskArn: string, registered: RegisteredDefinition) => void;
}

export type LaunchOutcome =
  | { stage: "run"; registered: RegisteredDefinition; failure: TaskFailure; taskArn?: undefined }
  | ({ stage: "watched"; registered: RegisteredDefinition; taskArn: string } & WatchResult);

/** Register-or-reuse, RunTask, watch to STOPPED. A RunTask that starts nothing ends at stage "run" with its failure. */
export async function launchFlowTask(input: LaunchInput): Promise<LaunchOutcome> {
  const registered = await input.registrar.ensure(input.definition as Json);
  const request = buildRunTaskInput({
    options: input.options.runTask,
    taskDefinition: registered.arn,
    networkMode: registered.definition.networkMode as string | undefined,
    launchType: input.options.environment.launchType,
    flowRunId: input.flowRunId,
    runEnv: input.perRunEnv,
  });
  const started = await startTask(input.api, request as unknown as Json);
  if (started.failure) return { stage: "run", registered, failure: started.failure };
  input.onStarted?.(started.taskArn, registered);
  const watched = await watchTask({
    ...input.watch,
    api: input.api,
    cluster: input.options.runTask.cluster,
    taskArn: started.taskArn,
    definition: registered.definition,
  });
  return { stage: "watched", registered, taskArn: started.taskArn, ...watched };
}
