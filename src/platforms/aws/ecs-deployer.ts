/**
 * The ECS agent's deployer: each claimed run becomes ONE ECS task of the flow's image.
 *
 * - A flow on FargateTaskEnvironment or LocalEnvironment runs stage "run" directly in the task (the agent
 *   does the environment's setup and launch itself, with the environment's serialized options over its
 *   own, so a run pays for one task start); a CloudClusterEnvironment's task runs stage "deploy" (the
 *   cluster's scheduler); other environments are refused at claim. See agent-launch-plan.ts (and when a
 *   FargateTaskEnvironment's options live only in its image).
 * - The task definition is keyed by content (the flow version's image and shared variables): the runs of a
 *   flow version reuse one revision; the run id, API key and image reach the container as overrides, or the
 *   API key as an ECS secret when the agent was given its ARN.
 * - Every task is tagged with the run id. The task is followed to STOPPED: a failure fails the run with its
 *   reason (and the tail of its CloudWatch stream); a run whose cancellation was requested gets its task
 *   stopped; the time from the claim to RUNNING is logged on the run.
 */
import type { ClaimedFlowRun } from "../../client/index.js";
import { SluiceError } from "../../core/errors.js";
import { isFinished } from "../../core/states.js";
import { requireImage, type DeployContext, type Deployer, type Deployment } from "../../agents/deployer.js";
import { refuseUnlessRuns } from "../run-refusal.js";
import { agentLaunchPlan } from "./agent-launch-plan.js";
import { stopRunTasks } from "./cluster/run-tasks.js";
import { resolveAwsAccess } from "./credentials.js";
import { DefinitionRegistrar } from "./definition-registrar.js";
import { createEcsApi, type EcsApi } from "./ecs-client.js";
import type { EcsAgentOptions } from "./ecs-agent-options.js";
import { launchFlowTask, planTaskDefinition, splitRunEnv } from "./fargate-launch.js";
import { DEFAULT_STARTED_BY, FLOW_RUN_ID_TAG } from "./names.js";
import { watchTask, type WatchResult } from "./task-watcher.js";

export class EcsDeployer implements Deployer {
  readonly kind = "ecs";
  readonly options: EcsAgentOptions;
  #api: Promise<EcsApi> | undefined;
  #registrar: DefinitionRegistrar | undefined;
  /** The runs being followed, by run id: aborting stops the task. */
  readonly #running = new Map<string, AbortController>();
  readonly #pending = new Set<Promise<void>>();
  /** Set when the agent stops without stopping runs: this deployer then neither stops nor reports tasks. */
  #detached = false;

  constructor(options: EcsAgentOptions) {
    this.options = options;
  }

  async #connect(): Promise<{ api: EcsApi; registrar: DefinitionRegistrar }> {
    if (!this.#api) {
      const access = resolveAwsAccess({}, this.options.access);
      this.#api = createEcsApi({ region: access.region, credentials: access.credentials, endpoint: this.options.endpoint });
      this.#api.catch(() => (this.#api = undefined));
    }
    const api = await this.#api;
    this.#registrar ??= new DefinitionRegistrar(api);
    return { api, registrar: this.#registrar };
  }

  /**
   * Connects, then finds the tasks an earlier life of the agent started (by `startedBy` and the run-id
   * tag): a task whose run already finished is a leftover and is stopped; the others are followed again.
   */
  async prepare(ctx: DeployContext): Promise<void> {
    const { api } = await this.#connect();
    const cluster = this.options.aws[this.options.launchType].runTask.cluster;
    ctx.logger.info(`ECS agent ${ctx.agent.name}: tasks go to cluster ${cluster ?? "default"}${this.options.endpoint ? ` at ${this.options.endpoint}` : ""}`);
    for (const taskArn of await api.listTasks(cluster, { startedBy: DEFAULT_STARTED_BY, desiredStatus: "RUNNING" })) {
      const task = await api.describeTask(cluster, taskArn);
      const flowRunId = task?.tags?.find((t) => t.key === FLOW_RUN_ID_TAG)?.value;
      if (!task || !flowRunId || this.#running.has(flowRunId)) continue;
      const run = await ctx.client.getFlowRun(flowRunId).catch(() => undefined);
      if (!run || isFinished(run.state.name)) {
        ctx.logger.info({ flowRunId, taskArn }, "ECS agent: stopping a leftover task of a finished (or unknown) run");
        await api.stopTask(cluster, taskArn, "Sluice: leftover task of a finished flow run");
        continue;
      }
      const definition = task.taskDefinitionArn ? await api.describeTaskDefinition(task.taskDefinitionArn) : undefined;
      const controller = new AbortController();
      this.#running.set(flowRunId, controller);
      await ctx.logRun(flowRunId, "info", `ECS: agent ${ctx.agent.name} follows task ${taskArn} again (started by an earlier agent)`);
      const watched = watchTask({
        api,
        ...(cluster ? { cluster } : {}),
        taskArn,
        ...(definition ? { definition } : {}),
        pollIntervalMs: this.options.pollIntervalMs,
        startDeadlineMs: this.options.startDeadlineMs,
        signal: controller.signal,
      });
      void this.#track(this.#follow(flowRunId, ctx, watched, controller).finally(() => this.#running.delete(flowRunId)));
    }
  }

  #track(done: Promise<void>): Promise<void> {
    this.#pending.add(done);
    // A follow that failed has already said so (failRun); its rejection must not go unhandled here.
    void done.catch(() => undefined).finally(() => this.#pending.delete(done));
    return done;
  }

  async deploy(run: ClaimedFlowRun, ctx: DeployContext): Promise<Deployment> {
    const claimedAt = Date.now();
    const flowRunId = run.flowRun.id;
    // One ECS task runs the flow: only environments that run inside that task are accepted.
    refuseUnlessRuns(
      this.kind,
      { runs: this.options.inTaskTypes, ...(this.options.runnersOf ? { runnersOf: this.options.runnersOf } : {}) },
      { flowRunId, flowName: run.flow.name, environmentType: run.flow.environment.type },
    );
    const image = requireImage(run, this.kind);
    const { api, registrar } = await this.#connect();
    const o = this.options;
    const { launchType, aws, stage, startDeadlineMs, inImage } = agentLaunchPlan(run, o);
    if (inImage.length > 0) {
      await ctx.logRun(
        flowRunId,
        "info",
        `ECS: the FargateTaskEnvironment's options ${inImage.join(", ")} are only in the flow's image: its task runs stage "deploy", where the environment launches the flow's own task with them (a second task start)`,
      );
    }
    const location = (run.flow.storage as { flows?: Record<string, unknown> }).flows?.[run.flow.name];
    const env = ctx.runEnv(run, { image, ...(typeof location === "string" ? { flowFilePath: location } : {}), env: { ...o.env } });
    const { shared, perRun } = splitRunEnv(env);
    // With a secret ARN the key comes from the definition's `secrets`, never as a value.
    if (o.apiKeySecretArn) delete perRun.SLUICE__API__KEY;
    const [program, ...args] = o.sluiceCommand;
    const definition = planTaskDefinition({
      options: aws,
      flowName: run.flow.name,
      image,
      command: [program!, ...args, "execute", "flow-run", "--stage", stage],
      sharedEnv: shared,
    });
    const controller = new AbortController();
    this.#running.set(flowRunId, controller);
    let started!: (arn: string) => void;
    const taskStarted = new Promise<string>((resolve) => (started = resolve));
    const outcome = launchFlowTask({
      api,
      registrar,
      options: aws,
      definition,
      flowRunId,
      perRunEnv: perRun,
      watch: {
        pollIntervalMs: o.pollIntervalMs,
        startDeadlineMs,
        signal: controller.signal,
        onStatus: (status, task) => {
          if (status === "RUNNING")
            void ctx.logRun(flowRunId, "info", `ECS: task ${task.taskArn} RUNNING ${Date.now() - claimedAt} ms after the claim`, {
              launchLatencyMs: Date.now() - claimedAt,
              taskArn: task.taskArn,
            });
        },
      },
      onStarted: (taskArn) => started(taskArn),
    });
    // RunTask answered (a task, or why none started): the deploy is over when either is known.
    const first = await Promise.race([taskStarted.then((arn) => ({ arn })), outcome.then((out) => ({ out }))]).catch((e: unknown) => {
      this.#running.delete(flowRunId);
      throw e;
    });
    if ("out" in first && first.out.stage === "run") {
      this.#running.delete(flowRunId);
      throw new SluiceError("DEPLOY_FAILED", `ECS: ${first.out.failure.reason}: ${first.out.failure.message}. ${first.out.failure.hint}`, {
        flowRunId,
        kind: "ecs",
        field: first.out.failure.reason,
      });
    }
    const taskArn = "arn" in first ? first.arn : (first.out.taskArn as string);
    // At this point RunTask started a task: the outcome is the watch's.
    const watched = outcome.then((out): WatchResult => (out.stage === "watched" ? out : { task: undefined, failure: out.failure, logTail: [] }));
    const done = this.#track(this.#follow(flowRunId, ctx, watched, controller).finally(() => this.#running.delete(flowRunId)));
    return { description: `started ECS task ${taskArn} (stage "${stage}", ${launchType}, image ${image})`, done };
  }

  /** Until the task stopped: stops it when the run's cancellation is requested, then reports a failure. */
  async #follow(flowRunId: string, ctx: DeployContext, outcome: Promise<WatchResult>, controller: AbortController): Promise<void> {
    let ended = false;
    const watchCancel = (async () => {
      while (!ended && !this.#detached && !controller.signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs));
        if (ended || this.#detached) return;
        try {
          const current = await ctx.client.getFlowRun(flowRunId);
          if (current.cancelRequested && !controller.signal.aborted) {
            await ctx.logRun(flowRunId, "info", "ECS: the run's cancellation was requested: stopping its task");
            controller.abort();
          }
        } catch (e) {
          ctx.logger.warn({ err: e, flowRunId }, "ECS agent: could not read the run's state");
        }
      }
    })();
    try {
      const out = await outcome;
      // A detached deployer leaves the run to the task's own reports (and a later agent).
      if (this.#detached) return;
      if (!out.failure) return;
      for (const tail of out.logTail) {
        await ctx.logRun(flowRunId, "error", `ECS: last ${tail.lines.length} lines of ${tail.group} ${tail.stream}:\n${tail.lines.join("\n")}`, {
          container: tail.container,
        });
      }
      if (out.failure.reason === "StoppedByUser" && controller.signal.aborted) return;
      await ctx.failRun(flowRunId, `ECS: ${out.failure.reason}: ${out.failure.message}. ${out.failure.hint}`);
    } catch (e) {
      // Detached, the clients were closed under the watch: that is no failure of the run.
      if (this.#detached) return;
      await ctx.failRun(flowRunId, `ECS: following the task failed: ${(e as Error).message}`);
    } finally {
      ended = true;
      await watchCancel;
      if (!this.#detached) await this.#stopLeftovers(flowRunId, ctx);
    }
  }

  /** Once a run's own task ended, stops the other tasks of the run (a cluster whose scheduler crashed). */
  async #stopLeftovers(flowRunId: string, ctx: DeployContext): Promise<void> {
    try {
      const { api } = await this.#connect();
      const stopped = await stopRunTasks(api, this.options.aws[this.options.launchType].runTask.cluster, flowRunId, DEFAULT_STARTED_BY);
      if (stopped.length > 0) await ctx.logRun(flowRunId, "warn", `ECS: stopped ${stopped.length} task(s) the run left running: ${stopped.join(", ")}`);
    } catch (e) {
      ctx.logger.warn({ err: e, flowRunId }, "ECS agent: could not stop the tasks the run left");
    }
  }

  /**
   * With `stopRuns`, stops the tasks of the runs still followed and waits for them; otherwise leaves them
   * running and stops following them (their runs report by themselves; a restarted agent follows them again).
   */
  async close(options: { stopRuns: boolean }): Promise<void> {
    if (!options.stopRuns) this.#detached = true;
    if (options.stopRuns) {
      for (const controller of this.#running.values()) controller.abort();
      await Promise.allSettled([...this.#pending]);
    }
    if (this.#api) (await this.#api.catch(() => undefined))?.close();
  }
}
