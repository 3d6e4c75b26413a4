/**
 * Why an ECS task did not run a flow to the end, read from what ECS reports: a stopped task's stop code,
 * stopped reason and containers' exit codes and reasons, or RunTask's `failures`. One taxonomy, with
 * the names the Kubernetes agent uses where they mean the same thing (OOMKilled), and a hint saying what
 * to do. Pure functions over the plain objects DescribeTasks and RunTask return.
 */

export type TaskFailureReason = "ImagePull" | "OOMKilled" | "FailedToStart" | "EssentialContainerExited" | "Capacity" | "StoppedByUser" | "ProvisioningTimeout";

export interface TaskFailure {
  reason: TaskFailureReason;
  /** One sentence for the run's state message, naming the task and ECS's own words. */
  message: string;
  /** What to do about it. */
  hint: string;
}

/** The parts of a described task the taxonomy reads. */
export interface StoppedTaskView {
  taskArn?: string;
  lastStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers?: { name?: string; exitCode?: number; reason?: string }[];
}

export const FAILURE_HINTS: Record<TaskFailureReason, string> = {
  ImagePull:
    "check the image name and tag, that the execution role may pull it (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer), and that the task can reach the registry (a public IP, a NAT gateway or VPC endpoints for ECR and S3)",
  OOMKilled: "give the task more memory (option memory, or memory on the container) or make the flow use less",
  FailedToStart:
    "read ECS's reason: a missing secret or log group, a role that cannot read them, or a network that cannot reach Secrets Manager / CloudWatch Logs are the usual causes",
  EssentialContainerExited: "read the container's logs (copied below when the task has an awslogs configuration); a flow that fails exits non-zero",
  Capacity: "try again later, in another subnet or availability zone, or raise the cluster's capacity (EC2) or the account's Fargate quota",
  StoppedByUser: "the task was stopped through StopTask (by Sluice on cancel, or by someone else): see the stopped reason",
  ProvisioningTimeout: "the task did not start in time: check the subnets' route to the registry and the cluster's capacity, or raise the start deadline",
};

const idOf = (arn: string | undefined): string => (arn ? arn.split("/").pop()! : "(unknown task)");

function failure(reason: TaskFailureReason, message: string): TaskFailure {
  return { reason, message, hint: FAILURE_HINTS[reason] };
}

/**
 * The failure of a STOPPED task, or undefined when it ran to the end: its essential containers exited
 * with 0. `essential` names the essential containers (all of them when not given).
 */
export function stoppedTaskFailure(task: StoppedTaskView, essential?: ReadonlySet<string>): TaskFailure | undefined {
  const id = idOf(task.taskArn);
  const containers = task.containers ?? [];
  const why = task.stoppedReason ?? "no reason given";
  const pull = containers.find((c) => c.reason?.startsWith("CannotPullContainerError"));
  if (pull || why.startsWith("CannotPullContainerError")) {
    return failure("ImagePull", `ECS task ${id} could not pull the image of container ${pull?.name ?? "(unknown)"}: ${pull?.reason ?? why}`);
  }
  const oom = containers.find((c) => c.reason?.startsWith("OutOfMemoryError") || (c.exitCode === 137 && /memory/i.test(c.reason ?? "")));
  if (oom)
    return failure(
      "OOMKilled",
      `container ${oom.name} of ECS task ${id} ran out of memory and was killed (OOMKilled, exit code ${oom.exitCode ?? 137}): ${oom.reason}`,
    );
  switch (task.stopCode) {
    case "TaskFailedToStart":
      return failure("FailedToStart", `ECS task ${id} failed to start: ${why}`);
    case "UserInitiated":
      return failure("StoppedByUser", `ECS task ${id} was stopped: ${why}`);
    case "SpotInterruption":
    case "TerminationNotice":
      return failure("Capacity", `ECS task ${id} lost its capacity (${task.stopCode}): ${why}`);
    default:
      break;
  }
  const failed = containers.filter((c) => (essential ? essential.has(c.name ?? "") : true) && c.exitCode !== 0);
  if (failed.length > 0) {
    const parts = failed.map(
      (c) => `${c.name} ${c.exitCode === undefined ? "did not report an exit code" : `exited with code ${c.exitCode}`}${c.reason ? ` (${c.reason})` : ""}`,
    );
    return failure("EssentialContainerExited", `ECS task ${id} stopped (${task.stopCode ?? "no stop code"}: ${why}): ${parts.join("; ")}`);
  }
  if (task.stopCode !== undefined && task.stopCode !== "EssentialContainerExited") {
    return failure("FailedToStart", `ECS task ${id} stopped (${task.stopCode}): ${why}`);
  }
  return undefined;
}

/** RunTask's `failures` as one failure (Capacity when every reason is about capacity or placement). */
export function runTaskFailure(failures: readonly { arn?: string; reason?: string; detail?: string }[]): TaskFailure | undefined {
  if (failures.length === 0) return undefined;
  const capacity = /^(RESOURCE:|AGENT|ATTRIBUTE|Capacity is unavailable|No Container Instances|LOCATION|INACTIVE)/;
  const lines = failures.map((f) => `${f.arn ?? "(no arn)"}: ${f.reason ?? "no reason"}${f.detail ? ` (${f.detail})` : ""}`);
  const allCapacity = failures.every((f) => capacity.test(f.reason ?? ""));
  return failure(allCapacity ? "Capacity" : "FailedToStart", `RunTask started no task: ${lines.join("; ")}`);
}

/** A task that stayed in PROVISIONING/PENDING past the deadline (and was stopped). */
export function provisioningTimeout(taskArn: string, lastStatus: string, deadlineMs: number): TaskFailure {
  return failure("ProvisioningTimeout", `ECS task ${idOf(taskArn)} was still ${lastStatus} after ${Math.round(deadlineMs / 1000)} s and was stopped`);
}
