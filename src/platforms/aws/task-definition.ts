/**
 * The task definition of a flow, built from the user's options (a pure function; the input is never
 * mutated): the first container is named `flow-container` and runs the flow's image with Sluice's entry
 * command (the entry point is the CLI program, the command its arguments, as the Kubernetes Jobs do);
 * every container gets each run-contract variable it does not already set (by name: the user's value
 * wins); variables that change per run (API key, flow run id, image) are refused here, as they go into
 * RunTask's overrides. For Fargate the network mode, compatibilities and task size get defaults.
 */
import { SluiceError } from "../../core/errors.js";
import { FLOW_CONTAINER, RUN_SPECIFIC_VARIABLES } from "./names.js";
import type { ContainerDefinitionOptions, TaskDefinitionOptions } from "./options.js";

/** A task definition ready for RegisterTaskDefinition (family filled in by the caller or the content key). */
export type TaskDefinitionSpec = Omit<TaskDefinitionOptions, "containerDefinitions"> & { containerDefinitions: ContainerDefinitionOptions[] };

export interface TaskDefinitionInput {
  /** The validated task-definition options (never mutated). */
  options: TaskDefinitionOptions;
  /** "FARGATE" or "EC2". */
  launchType: "FARGATE" | "EC2";
  /** The flow's image (from its storage). */
  image: string;
  /** The first container's full command: program then arguments, e.g. ["sluice", "execute", "flow-run", "--stage", "run"]. */
  command: readonly string[];
  /** Run-contract variables that are the same for every run of the flow. */
  env: Readonly<Record<string, string>>;
}

/** Fargate's smallest task size. @default cpu "256", memory "512" */
export const FARGATE_DEFAULT_SIZE = { cpu: "256", memory: "512" } as const;

export function buildTaskDefinition(input: TaskDefinitionInput): TaskDefinitionSpec {
  for (const name of Object.keys(input.env)) {
    if (RUN_SPECIFIC_VARIABLES.includes(name)) {
      throw new SluiceError(
        "INTERNAL",
        `task definition: ${name} changes with every run and must not be written into a task definition (it goes into RunTask's overrides)`,
        { field: name },
      );
    }
  }
  if (input.command.length === 0) throw new SluiceError("INTERNAL", "task definition: the entry command is empty", { field: "command" });
  const copy = structuredClone(input.options) as TaskDefinitionOptions;
  const containers: ContainerDefinitionOptions[] = copy.containerDefinitions && copy.containerDefinitions.length > 0 ? copy.containerDefinitions : [{}];
  const [program, ...args] = input.command;
  const first = containers[0]!;
  first.name = FLOW_CONTAINER;
  first.image = input.image;
  first.entryPoint = [program!];
  first.command = [...args];
  for (const container of containers) {
    const environment = [...(container.environment ?? [])];
    const present = new Set(environment.map((e) => e.name));
    for (const [name, value] of Object.entries(input.env)) if (!present.has(name)) environment.push({ name, value });
    container.environment = environment;
  }
  const spec: TaskDefinitionSpec = { ...copy, containerDefinitions: containers };
  if (input.launchType === "FARGATE") {
    spec.networkMode ??= "awsvpc";
    spec.requiresCompatibilities ??= ["FARGATE"];
    spec.cpu ??= FARGATE_DEFAULT_SIZE.cpu;
    spec.memory ??= FARGATE_DEFAULT_SIZE.memory;
  } else if (spec.memory === undefined && containers.some((c) => c.memory === undefined && c.memoryReservation === undefined)) {
    throw new SluiceError(
      "INVALID_OPTION",
      'FargateTaskEnvironment: with launchType "EC2" give the task\'s memory (option memory, e.g. "512") or memory/memoryReservation on every container',
      { field: "memory", kind: "fargate-task" },
    );
  }
  return spec;
}

/**
 * The awslogs streams of a task: `<prefix>/<container>/<task id>` in each container's group. Containers
 * without a stream prefix are left out (their stream is named after the Docker container id, unknown here).
 */
export function awslogsStreams(
  definition: { containerDefinitions?: readonly { name?: string; logConfiguration?: unknown }[] },
  taskArn: string,
): { container: string; group: string; stream: string }[] {
  const taskId = taskArn.split("/").pop()!;
  const out: { container: string; group: string; stream: string }[] = [];
  for (const c of definition.containerDefinitions ?? []) {
    const log = c.logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
    const group = log?.options?.["awslogs-group"];
    if (log?.logDriver !== "awslogs" || !group || !c.name) continue;
    const prefix = log.options?.["awslogs-stream-prefix"];
    if (prefix) out.push({ container: c.name, group, stream: `${prefix}/${c.name}/${taskId}` });
  }
  return out;
}
