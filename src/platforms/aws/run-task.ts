/**
 * The RunTask input of one flow run (a pure function; the options are never mutated): the registered
 * definition, the launch type, the run's variables (API key, flow run id, image...) as overrides of the
 * flow container, the network configuration (required for awsvpc), the user's tags plus
 * `sluice.io/flow-run-id` (Sluice's value wins), and `startedBy`.
 */
import { SluiceError, showValue } from "../../core/errors.js";
import { DEFAULT_STARTED_BY, FLOW_CONTAINER, FLOW_RUN_ID_TAG } from "./names.js";
import type { RunTaskOptions } from "./options.js";

export interface RunTaskInputOptions {
  /** The validated RunTask options (never mutated). */
  options: RunTaskOptions;
  /** ARN (or family:revision) of the registered definition. */
  taskDefinition: string;
  /** Network mode of that definition: awsvpc needs a network configuration. */
  networkMode: string | undefined;
  launchType: "FARGATE" | "EC2";
  flowRunId: string;
  /** Variables of this run only, set on the flow container by override (they win over the definition's). */
  runEnv: Readonly<Record<string, string>>;
  /** Secrets of this run only (name → ARN), for variables such as the API key. @default {} */
  runSecrets?: Readonly<Record<string, string>>;
}

/** The RunTask request, in the SDK's shape (plain data). */
export interface RunTaskRequest {
  cluster?: string;
  taskDefinition: string;
  launchType: "FARGATE" | "EC2";
  count: 1;
  startedBy: string;
  group?: string;
  placementConstraints?: RunTaskOptions["placementConstraints"];
  placementStrategy?: RunTaskOptions["placementStrategy"];
  platformVersion?: string;
  networkConfiguration?: RunTaskOptions["networkConfiguration"];
  tags: { key: string; value: string }[];
  enableECSManagedTags?: boolean;
  propagateTags?: "TASK_DEFINITION" | "SERVICE" | "NONE";
  overrides: { containerOverrides: { name: string; environment: { name: string; value: string }[] }[] };
}

export function buildRunTaskInput(input: RunTaskInputOptions): RunTaskRequest {
  const o = structuredClone(input.options) as RunTaskOptions;
  if (input.networkMode === "awsvpc" && !o.networkConfiguration) {
    throw new SluiceError(
      "INVALID_OPTION",
      `FargateTaskEnvironment: option networkConfiguration is missing: tasks in network mode "awsvpc"${input.launchType === "FARGATE" ? " (every Fargate task)" : ""} need networkConfiguration.awsvpcConfiguration.subnets (and usually securityGroups and assignPublicIp)`,
      { field: "networkConfiguration", kind: "fargate-task" },
    );
  }
  if (input.networkMode !== "awsvpc" && o.networkConfiguration) {
    throw new SluiceError(
      "INVALID_OPTION",
      `FargateTaskEnvironment: option networkConfiguration is set but the task definition's networkMode is ${showValue(input.networkMode ?? "bridge")}; only "awsvpc" tasks take a network configuration`,
      { field: "networkConfiguration", kind: "fargate-task" },
    );
  }
  const tags = (o.tags ?? []).filter((t) => t.key !== FLOW_RUN_ID_TAG);
  tags.push({ key: FLOW_RUN_ID_TAG, value: input.flowRunId });
  const request: RunTaskRequest = {
    ...(o.cluster !== undefined ? { cluster: o.cluster } : {}),
    taskDefinition: input.taskDefinition,
    launchType: input.launchType,
    count: 1,
    startedBy: o.startedBy ?? DEFAULT_STARTED_BY,
    tags,
    overrides: {
      containerOverrides: [
        {
          name: FLOW_CONTAINER,
          environment: Object.entries(input.runEnv).map(([name, value]) => ({ name, value })),
        },
      ],
    },
  };
  if (o.group !== undefined) request.group = o.group;
  if (o.placementConstraints !== undefined) request.placementConstraints = o.placementConstraints;
  if (o.placementStrategy !== undefined) request.placementStrategy = o.placementStrategy;
  if (o.platformVersion !== undefined) request.platformVersion = o.platformVersion;
  if (o.networkConfiguration !== undefined) request.networkConfiguration = o.networkConfiguration;
  if (o.enableECSManagedTags !== undefined) request.enableECSManagedTags = o.enableECSManagedTags;
  if (o.propagateTags !== undefined) request.propagateTags = o.propagateTags;
  return request;
}
