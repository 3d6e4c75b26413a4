/**
 * The agent's polling loop, shared by every kind: register with the server (the same name keeps the same
 * id), heartbeat, poll with backoff, claim runs atomically (Scheduled → Submitted, done by the server
 * with a version check, so two agents never deploy the same run), and hand each claimed run to the
 * kind's Deployer. A deploy that throws fails the run with the message and an ERROR log line.
 *
 * The label rule (an agent takes a run only if its labels include all of the run's) is the server's: the agent registers its labels and whether it takes
 * unlabelled runs, and the claim only returns runs whose labels the agent's include.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { SluiceApiError, type ClaimedFlowRun, type SluiceClient } from "../client/index.js";
import type { SluiceConfig } from "../config/schema.js";
import { SluiceError } from "../core/errors.js";
import { createLogger } from "../core/logger.js";
import { isFinished } from "../core/states.js";
import { runContractEnv } from "../deployment/run-contract.js";
import { nextPollDelay } from "./backoff.js";
import type { AgentIdentity, DeployContext, Deployer, RunEnvInput } from "./deployer.js";

/** The longest a claim waits on the server for work, in ms (the server accepts up to 25 s). */
const LONG_POLL_MAX_MS = 20_000;

export interface AgentOptions {
  deployer: Deployer;
  client: SluiceClient;
  /** The agent's configuration: `agent.*` (name, labels, pacing, capacity), `api.*`, and what runs inherit. */
  config: SluiceConfig;
  /** Where the agent's own log lines go. @default stderr at config.logging.level */
  logger?: Logger;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class Agent {
  readonly deployer: Deployer;
  readonly client: SluiceClient;
  readonly config: SluiceConfig;
  readonly logger: Logger;
  readonly name: string;
  readonly labels: readonly string[];
  /** Runs deployed so far (claimed and launched without a deploy error). */
  deployed = 0;
  /** Runs whose deploy failed. */
  deployFailures = 0;
  #identity: AgentIdentity | undefined;
  readonly #inFlight = new Set<string>();
  readonly #deploying = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #outage = false;
  /** The last claim found nothing: the next one waits on the server (a long poll) for work to become due. */
  #idle = false;

  constructor(options: AgentOptions) {
    this.deployer = options.deployer;
    this.client = options.client;
    this.config = options.config;
    this.name = options.config.agent.name ?? `${options.deployer.kind}-${hostname()}`;
    this.labels = [...new Set(options.config.agent.labels)].sort();
    this.logger = options.logger ?? createLogger({ level: options.config.logging.level, bindings: { component: "agent", agent: this.name } });
  }

  /** The agent as the server knows it (after start()). */
  get identity(): AgentIdentity {
    if (!this.#identity) throw new SluiceError("INVALID_INPUT", `agent ${this.name} is not started; call start() first`);
    return this.#identity;
  }

  /** Runs launched and not yet ended (they count against agent.maxConcurrentRuns). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when the loop has stopped. */
  get done(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }

  /** Registers with the server and starts polling. Resolves once registered. */
  async start(): Promise<AgentIdentity> {
    if (this.#loop) return this.identity;
    await this.#register();
    const ctx = this.#context();
    if (this.deployer.prepare) await this.deployer.prepare(ctx);
    this.#heartbeat = setInterval(() => void this.#beat(), this.config.agent.heartbeatIntervalMs);
    this.#heartbeat.unref();
    this.#loop = this.#run(ctx);
    this.logger.info(
      { agentId: this.identity.id, labels: this.labels, acceptUnlabelled: this.config.agent.acceptUnlabelled ?? this.labels.length === 0 },
      `agent ${this.name} (${this.deployer.kind}) polls ${this.config.api.url}`,
    );
    return this.identity;
  }

  /** Stops polling, waits for deploys in progress, then closes the deployer (with `stopRuns`, what it launched stops too). */
  async stop(options: { stopRuns?: boolean } = {}): Promise<void> {
    this.#stop.abort();
    clearInterval(this.#heartbeat);
    await this.#loop;
    await Promise.allSettled([...this.#deploying]);
    await this.deployer.close?.({ stopRuns: options.stopRuns ?? false });
  }

  async #register(): Promise<void> {
    const agent = await this.client.registerAgent({
      name: this.name,
      kind: this.deployer.kind,
      labels: [...this.labels],
      ...(this.config.agent.acceptUnlabelled === undefined ? {} : { acceptUnlabelled: this.config.agent.acceptUnlabelled }),
    });
    this.#identity = { id: agent.id, name: agent.name, kind: agent.kind, labels: agent.labels };
  }

  async #beat(): Promise<void> {
    try {
      await this.client.agentHeartbeat(this.identity.id);
    } catch (error) {
      if (error instanceof SluiceApiError && error.status === 404) await this.#register().catch(() => undefined);
      else this.logger.debug({ err: error }, "agent heartbeat failed");
    }
  }

  async #run(ctx: DeployContext): Promise<void> {
    let delay = 0;
    while (!this.#stop.signal.aborted) {
      const found = await this.#turn(ctx);
      if (this.deployer.manage && !this.#stop.signal.aborted) {
        try {
          await this.deployer.manage(ctx);
        } catch (error) {
          this.logger.warn({ err: error }, `managing ${this.deployer.kind} deployments failed: ${text(error)}`);
        }
      }
      // An empty long poll has already waited on the server; errors and a full agent keep the backoff.
      delay = found || this.#idle ? 0 : nextPollDelay(delay, found, this.config.agent);
      await sleep(delay, this.#stop.signal);
    }
  }

  /** One poll: claims what fits the free capacity and deploys it. True when it found work. */
  async #turn(ctx: DeployContext): Promise<boolean> {
    const capacity = this.config.agent.maxConcurrentRuns - this.#inFlight.size;
    if (capacity <= 0) {
      this.#idle = false;
      return false;
    }
    let claimed: ClaimedFlowRun[];
    try {
      // When the last claim was empty, the server holds this one until a matching run is due (or the wait
      // ends), so a run is claimed the moment it is created or comes due instead of at the next poll.
      const waitMs = this.#idle ? Math.min(LONG_POLL_MAX_MS, this.config.agent.maxPollIntervalMs) : 0;
      claimed = await this.client.claimFlowRuns({ agentId: this.identity.id, limit: Math.min(100, capacity), waitMs }, this.#stop.signal);
      this.#idle = claimed.length === 0;
      if (this.#outage) this.logger.info("the server is reachable again");
      this.#outage = false;
    } catch (error) {
      this.#idle = false;
      if (this.#stop.signal.aborted) return false; // stopping: the long poll was cut short on purpose
      if (error instanceof SluiceApiError && error.status === 404) {
        await this.#register().catch(() => undefined); // the server forgot this agent (a new database): register again
      } else if (!this.#outage) {
        this.#outage = true;
        this.logger.warn({ err: error }, `polling the server failed: ${text(error)}; retrying with backoff`);
      }
      return false;
    }
    await Promise.all(claimed.map((run) => this.#track(this.#deploy(run, ctx))));
    return claimed.length > 0;
  }

  #track(promise: Promise<void>): Promise<void> {
    this.#deploying.add(promise);
    return promise.finally(() => this.#deploying.delete(promise));
  }

  async #deploy(claimed: ClaimedFlowRun, ctx: DeployContext): Promise<void> {
    const id = claimed.flowRun.id;
    this.#inFlight.add(id);
    try {
      const deployment = await this.deployer.deploy(claimed, ctx);
      this.deployed++;
      this.logger.info({ flowRunId: id, flow: claimed.flow.name }, `deployed flow run ${id} (${claimed.flow.name}): ${deployment.description}`);
      await ctx.logRun(id, "info", `Deployed by agent ${this.name} (${this.deployer.kind}): ${deployment.description}`, { agentId: this.identity.id });
      if (deployment.done) void deployment.done.catch(() => undefined).finally(() => this.#inFlight.delete(id));
      else this.#inFlight.delete(id);
    } catch (error) {
      this.#inFlight.delete(id);
      this.deployFailures++;
      const message = `Deploying flow run ${id} with agent ${this.name} (${this.deployer.kind}) failed: ${text(error)}`;
      this.logger.error({ flowRunId: id, err: error }, message);
      await ctx.failRun(id, message);
    }
  }

  #context(): DeployContext {
    const { client, config, logger } = this;
    const logRun: DeployContext["logRun"] = async (flowRunId, level, message, fields) => {
      try {
        await client.writeLogs([{ flowRunId, level, message, ...(fields ? { fields } : {}) }]);
      } catch (error) {
        logger.warn({ flowRunId, err: error }, `could not write a log line on flow run ${flowRunId}: ${text(error)}`);
      }
    };
    return {
      client,
      config,
      logger,
      agent: this.identity,
      logRun,
      runEnv: (run: ClaimedFlowRun, input: RunEnvInput = {}) =>
        runContractEnv(
          {
            config,
            flowRunId: run.flowRun.id,
            flowId: run.flow.id,
            apiUrl: client.url,
            ...(input.image === undefined ? {} : { image: input.image }),
            ...(input.flowFilePath === undefined ? {} : { flowFilePath: input.flowFilePath }),
          },
          input.env ?? {},
        ),
      failRun: async (flowRunId, message) => {
        try {
          if (isFinished((await client.getFlowRun(flowRunId)).state.name)) return;
        } catch (error) {
          logger.warn({ flowRunId, err: error }, `could not read flow run ${flowRunId} to fail it: ${text(error)}`);
        }
        await logRun(flowRunId, "error", message);
        try {
          await client.setFlowRunState(flowRunId, { name: "Failed", message });
        } catch (error) {
          if (!(error instanceof SluiceError && error.code === "CONFLICT"))
            logger.error({ flowRunId, err: error }, `could not fail flow run ${flowRunId}: ${text(error)}`);
        }
      },
    };
  }
}
