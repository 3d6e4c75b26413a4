/**
 * Starting one ECS task and following it to STOPPED. `startTask` calls RunTask and turns its `failures`
 * into a failure (ECS answers a capacity problem there, not with an error). `watchTask` polls
 * DescribeTasks: it reports each status change; stops a task still PROVISIONING/PENDING past the start
 * deadline (a ProvisioningTimeout failure); stops it when the caller's signal aborts (a cancelled run);
 * and once STOPPED classifies the outcome and, on failure, copies the tail of the containers' CloudWatch
 * log streams.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { EcsApi, EcsTask, Json } from "./ecs-client.js";
import { provisioningTimeout, runTaskFailure, stoppedTaskFailure, type TaskFailure } from "./failures.js";
import { awslogsStreams } from "./task-definition.js";

/** RunTask: the started task's ARN, or why none started. */
export async function startTask(api: EcsApi, request: Json): Promise<{ taskArn: string; failure?: undefined } | { taskArn?: undefined; failure: TaskFailure }> {
  const out = await api.runTask(request);
  const failure = runTaskFailure(out.failures);
  const arn = out.tasks[0]?.taskArn;
  if (failure || !arn) return { failure: failure ?? runTaskFailure([{ reason: "RunTask answered neither a task nor a failure" }])! };
  return { taskArn: arn };
}

export interface WatchOptions {
  api: EcsApi;
  /** The task's cluster. @default undefined (the account's default cluster) */
  cluster?: string;
  taskArn: string;
  /** The task's definition: its awslogs streams are read on failure, its essential containers decide success. @default undefined */
  definition?: Json;
  /** Between two DescribeTasks. @default 5000 */
  pollIntervalMs?: number;
  /** How long the task may stay PROVISIONING/PENDING before it is stopped and failed. @default 600000 */
  startDeadlineMs?: number;
  /** After Sluice stops the task, how long to wait for STOPPED before giving up. @default 300000 */
  stopWaitMs?: number;
  /** Lines of each log stream copied on failure. @default 50 */
  logTailLines?: number;
  /** Aborting it stops the task (StopTask) with `cancelReason`. @default undefined */
  signal?: AbortSignal;
  /** StopTask's reason on abort. @default "Sluice: the flow run was cancelled" */
  cancelReason?: string;
  /** Called on each new lastStatus. @default undefined */
  onStatus?: (status: string, task: EcsTask) => void;
}

export interface WatchResult {
  /** The last description (STOPPED unless the wait for it ran out). */
  task: EcsTask | undefined;
  /** Undefined when the task's essential containers exited with 0. */
  failure?: TaskFailure;
  /** On failure: the tail of each container's awslogs stream. */
  logTail: { container: string; group: string; stream: string; lines: string[] }[];
  /** Milliseconds from the watch's start to the first RUNNING, if it ran. */
  runningAfterMs?: number;
}

const STARTING = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

export async function watchTask(options: WatchOptions): Promise<WatchResult> {
  const { api, cluster, taskArn } = options;
  const poll = options.pollIntervalMs ?? 5_000;
  const startDeadline = options.startDeadlineMs ?? 600_000;
  const stopWait = options.stopWaitMs ?? 300_000;
  const started = Date.now();
  let last: EcsTask | undefined;
  let lastStatus: string | undefined;
  let runningAfterMs: number | undefined;
  let imposed: TaskFailure | undefined;
  let stoppedAt: number | undefined;
  const stop = async (reason: string) => {
    stoppedAt = Date.now();
    await api.stopTask(cluster, taskArn, reason);
  };
  for (;;) {
    if (options.signal?.aborted && stoppedAt === undefined) await stop(options.cancelReason ?? "Sluice: the flow run was cancelled");
    const task = await api.describeTask(cluster, taskArn);
    if (task) last = task;
    const status = task?.lastStatus;
    if (status && status !== lastStatus) {
      lastStatus = status;
      if (status === "RUNNING" && runningAfterMs === undefined) runningAfterMs = Date.now() - started;
      options.onStatus?.(status, task!);
    }
    if (status === "STOPPED") break;
    if (stoppedAt === undefined && (status === undefined || STARTING.has(status)) && Date.now() - started > startDeadline) {
      imposed = provisioningTimeout(taskArn, status ?? "not yet visible", startDeadline);
      await stop(`Sluice: the task did not start within ${Math.round(startDeadline / 1000)} s`);
    }
    if (stoppedAt !== undefined && Date.now() - stoppedAt > stopWait) break;
    try {
      await sleep(poll, undefined, options.signal && stoppedAt === undefined ? { signal: options.signal } : undefined);
    } catch {
      // aborted: stop at the top of the loop
    }
  }
  const essential = options.definition
    ? new Set(((options.definition.containerDefinitions as Json[] | undefined) ?? []).filter((c) => c.essential !== false).map((c) => c.name as string))
    : undefined;
  const failure =
    imposed ??
    (last ? stoppedTaskFailure(last, essential) : undefined) ??
    (last?.lastStatus !== "STOPPED"
      ? { reason: "FailedToStart" as const, message: `ECS task ${taskArn} did not reach STOPPED`, hint: "check the task in the ECS console" }
      : undefined);
  const logTail: WatchResult["logTail"] = [];
  if (failure && options.definition) {
    for (const s of awslogsStreams(options.definition as never, taskArn)) {
      const lines = await api.logTail(s.group, s.stream, options.logTailLines ?? 50).catch(() => []);
      if (lines.length > 0) logTail.push({ ...s, lines });
    }
  }
  return { task: last, ...(failure ? { failure } : {}), logTail, ...(runningAfterMs !== undefined ? { runningAfterMs } : {}) };
}
