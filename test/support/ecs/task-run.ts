/**
 * One ECS task from RunTask to STOPPED: PROVISIONING → PENDING (images pulled, secrets and log groups
 * resolved) → RUNNING (one Docker container per container definition) → DEPROVISIONING → STOPPED, with
 * the stop codes, reasons and container exit codes ECS reports:
 * - an image that cannot be pulled: TaskFailedToStart, `CannotPullContainerError: ...` on the task and
 *   on the container;
 * - a secret or log group that cannot be resolved: TaskFailedToStart, `ResourceInitializationError: ...`;
 * - an essential container that exits: EssentialContainerExited, "Essential container in task exited";
 * - out of memory: the container's exit code 137, reason `OutOfMemoryError: Container killed due to memory usage`;
 * - StopTask: UserInitiated, the reason given (else "Task stopped by user").
 * `task` is the object DescribeTasks answers, updated in place.
 */
import type { DockerRunner, RunningContainer } from "./docker-runner.js";
import type { LogsService } from "./logs-service.js";

export type Json = Record<string, unknown>;

export interface TaskTimings {
  /** Time in PROVISIONING. @default 30 */
  provisioningMs: number;
  /** Time in DEPROVISIONING. @default 30 */
  deprovisioningMs: number;
  /** SIGTERM → SIGKILL grace when a container definition sets no stopTimeout. @default 2000 */
  stopTimeoutMs: number;
}

export interface TaskRunDeps {
  runner: DockerRunner;
  logs: LogsService;
  timings: TaskTimings;
  region: string;
  /** Secret values by ARN (Secrets Manager or SSM), for `secrets[].valueFrom`. */
  secrets: ReadonlyMap<string, string>;
  /** Images whose pull fails (fault injection). */
  missingImages: ReadonlySet<string>;
  /** Whether this task stays in PROVISIONING until stopped (fault injection). */
  stuck: boolean;
  /** Docker container name prefix, unique per stand-in. */
  namePrefix: string;
  /**
   * The address a task's containers read the task role's temporary credentials from, given the task id
   * and the role's ARN (the stand-in's own HTTP server answers it). @default undefined (tasks get none)
   */
  taskRoleCredentialsUri?: (taskId: string, roleArn: string) => string;
  /** Called after every change of the task. */
  changed(): void;
}

const OOM_REASON = "OutOfMemoryError: Container killed due to memory usage";
const now = () => Date.now() / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TaskRun {
  private readonly running = new Map<string, RunningContainer>();
  private readonly oomMarked = new Set<string>();
  private stopRequested: { reason: string } | undefined;
  private wakeStop: (() => void) | undefined;
  /** Resolves once the task is STOPPED. */
  readonly done: Promise<void>;
  /** Each container's output, by container name (whatever its log driver). */
  readonly output = new Map<string, string>();

  constructor(
    readonly task: Json,
    private readonly definition: Json,
    private readonly overrides: Json,
    private readonly deps: TaskRunDeps,
  ) {
    this.done = this.lifecycle();
  }

  get id(): string {
    return (this.task.taskArn as string).split("/").pop()!;
  }

  private set(fields: Json): void {
    Object.assign(this.task, fields);
    this.task.version = ((this.task.version as number) ?? 0) + 1;
    this.deps.changed();
  }

  private containers(): Json[] {
    return this.task.containers as Json[];
  }

  private definitionOf(name: string): Json {
    return (this.definition.containerDefinitions as Json[]).find((c) => c.name === name)!;
  }

  private overrideOf(name: string): Json | undefined {
    return ((this.overrides.containerOverrides as Json[] | undefined) ?? []).find((c) => c.name === name);
  }

  /** StopTask: the task stops with UserInitiated and `reason`. */
  stop(reason: string): void {
    if (this.stopRequested || this.task.lastStatus === "STOPPED") return;
    this.stopRequested = { reason };
    this.set({ desiredStatus: "STOPPED", stopCode: "UserInitiated", stoppedReason: reason, stoppingAt: now() });
    this.wakeStop?.();
    if (this.running.size > 0) void this.killAll();
  }

  /** Kills a running container as the kernel's OOM killer would (fault injection). */
  async oomKill(containerName?: string): Promise<void> {
    const name = containerName ?? (this.containers()[0]!.name as string);
    const c = this.running.get(name);
    if (!c) throw new Error(`container ${name} of task ${this.id} is not running`);
    this.oomMarked.add(name);
    await c.kill("SIGKILL");
  }

  private async lifecycle(): Promise<void> {
    const stopWait = new Promise<void>((resolve) => (this.wakeStop = resolve));
    if (this.deps.stuck) await stopWait;
    else await Promise.race([sleep(this.deps.timings.provisioningMs), stopWait]);
    if (this.stopRequested) return this.finish();
    this.set({ lastStatus: "PENDING", pullStartedAt: now() });
    const failure = await this.prepare();
    if (failure) {
      this.set({ stopCode: "TaskFailedToStart", stoppedReason: failure.reason, desiredStatus: "STOPPED", stoppingAt: now(), pullStoppedAt: now() });
      for (const c of this.containers()) {
        c.lastStatus = "STOPPED";
        if (failure.container === undefined || failure.container === c.name) c.reason = failure.reason;
      }
      return this.finish();
    }
    this.set({ pullStoppedAt: now() });
    if (this.stopRequested) return this.finish();
    try {
      await this.startContainers();
    } catch (e) {
      const reason = `CannotStartContainerError: ${(e as Error).message}`;
      this.set({ stopCode: "TaskFailedToStart", stoppedReason: reason, desiredStatus: "STOPPED", stoppingAt: now() });
      await this.killAll();
      return this.finish();
    }
    this.set({ lastStatus: "RUNNING", startedAt: now(), connectivity: "CONNECTED", connectivityAt: now() });
    if (this.stopRequested) await this.killAll();
    await Promise.all([...this.running.values()].map((c) => c.exited));
    return this.finish();
  }

  /** Pulls the images and resolves secrets and log groups; the first failure, if any. */
  private async prepare(): Promise<{ reason: string; container?: string } | undefined> {
    for (const c of this.containers()) {
      const def = this.definitionOf(c.name as string);
      const image = def.image as string;
      if (this.deps.missingImages.has(image)) {
        return {
          container: c.name as string,
          reason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: ${image}: not found`,
        };
      }
      const pulled = await this.deps.runner.ensureImage(image);
      if (!pulled.ok)
        return {
          container: c.name as string,
          reason: `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${image}: ${pulled.message}`,
        };
      c.imageDigest = pulled.digest;
      for (const s of (def.secrets as Json[] | undefined) ?? []) {
        if (!this.deps.secrets.has(s.valueFrom as string)) {
          return {
            reason: `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${s.valueFrom as string}: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
          };
        }
      }
      const log = def.logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
      if (log?.logDriver === "awslogs") {
        const group = log.options?.["awslogs-group"] ?? "";
        if (!this.deps.logs.hasGroup(group)) {
          if (log.options?.["awslogs-create-group"] === "true") this.deps.logs.createGroup(group);
          else
            return {
              reason: `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1`,
            };
        }
      }
    }
    return undefined;
  }

  private containerEnv(def: Json, override: Json | undefined): Record<string, string> {
    const env: Record<string, string> = {
      AWS_EXECUTION_ENV: this.task.launchType === "FARGATE" ? "AWS_ECS_FARGATE" : "AWS_ECS_EC2",
      AWS_REGION: this.deps.region,
      AWS_DEFAULT_REGION: this.deps.region,
      HOSTNAME: `ip-10-0-0-${1 + (parseInt(this.id.slice(0, 2), 16) % 250)}`,
    };
    // ECS gives the containers of a task with a task role the address of its credentials; the SDK's
    // default chain reads them from there.
    const role = (this.overrides.taskRoleArn as string | undefined) ?? (this.definition.taskRoleArn as string | undefined);
    if (role && this.deps.taskRoleCredentialsUri) env.AWS_CONTAINER_CREDENTIALS_FULL_URI = this.deps.taskRoleCredentialsUri(this.id, role);
    for (const e of (def.environment as Json[] | undefined) ?? []) env[e.name as string] = e.value as string;
    for (const e of (override?.environment as Json[] | undefined) ?? []) env[e.name as string] = e.value as string;
    for (const s of (def.secrets as Json[] | undefined) ?? []) env[s.name as string] = this.deps.secrets.get(s.valueFrom as string)!;
    return env;
  }

  private async startContainers(): Promise<void> {
    const taskMemory = Number((this.overrides.memory as string | undefined) ?? (this.definition.memory as string | undefined)) || undefined;
    for (const c of this.containers()) {
      const name = c.name as string;
      const def = this.definitionOf(name);
      const override = this.overrideOf(name);
      const memoryMiB = (override?.memory as number | undefined) ?? (def.memory as number | undefined) ?? taskMemory;
      const log = def.logConfiguration as { logDriver?: string; options?: Record<string, string> } | undefined;
      const toLogs =
        log?.logDriver === "awslogs"
          ? (text: string) => {
              const prefix = log.options?.["awslogs-stream-prefix"];
              const stream = prefix ? `${prefix}/${name}/${this.id}` : `${name}/${this.id}`;
              this.deps.logs.append(log.options!["awslogs-group"]!, stream, text);
            }
          : undefined;
      const started = await this.deps.runner.start(
        {
          name: `${this.deps.namePrefix}-${this.id.slice(0, 12)}-${name}`.slice(0, 120),
          image: def.image as string,
          entryPoint: def.entryPoint as string[] | undefined,
          command: (override?.command as string[] | undefined) ?? (def.command as string[] | undefined),
          env: this.containerEnv(def, override),
          workingDirectory: def.workingDirectory as string | undefined,
          user: def.user as string | undefined,
          memoryMiB,
          labels: { "com.amazonaws.ecs.task-arn": this.task.taskArn as string, "com.amazonaws.ecs.container-name": name },
        },
        (text) => {
          this.output.set(name, (this.output.get(name) ?? "") + text);
          toLogs?.(text);
        },
      );
      this.running.set(name, started);
      Object.assign(c, { lastStatus: "RUNNING", runtimeId: started.id });
      void started.exited.then((exit) => this.containerExited(name, def, exit));
    }
  }

  private containerExited(name: string, def: Json, exit: { exitCode: number; oomKilled: boolean }): void {
    const c = this.containers().find((x) => x.name === name)!;
    const oom = exit.oomKilled || this.oomMarked.has(name);
    Object.assign(c, { lastStatus: "STOPPED", exitCode: oom ? 137 : exit.exitCode });
    if (oom) c.reason = OOM_REASON;
    this.running.delete(name);
    const essential = def.essential !== false;
    if (essential && !this.stopRequested && this.task.stopCode === undefined) {
      this.set({ stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited", desiredStatus: "STOPPED", stoppingAt: now() });
      void this.killAll();
    } else {
      this.deps.changed();
    }
  }

  private async killAll(): Promise<void> {
    const entries = [...this.running.entries()];
    await Promise.all(
      entries.map(async ([name, c]) => {
        await c.kill("SIGTERM");
        const stopTimeout = this.definitionOf(name).stopTimeout as number | undefined;
        const grace = stopTimeout !== undefined ? stopTimeout * 1000 : this.deps.timings.stopTimeoutMs;
        const timer = setTimeout(() => void c.kill("SIGKILL"), grace);
        await c.exited;
        clearTimeout(timer);
      }),
    );
  }

  private async finish(): Promise<void> {
    if (this.stopRequested && this.running.size > 0) await this.killAll();
    this.set({ lastStatus: "DEPROVISIONING", ...(this.task.stoppingAt ? {} : { stoppingAt: now() }), executionStoppedAt: now() });
    for (const c of this.containers()) if (c.lastStatus !== "STOPPED") c.lastStatus = "STOPPED";
    await sleep(this.deps.timings.deprovisioningMs);
    this.set({ lastStatus: "STOPPED", desiredStatus: "STOPPED", stoppedAt: now(), connectivity: undefined });
  }
}
