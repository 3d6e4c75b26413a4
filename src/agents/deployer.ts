/**
 * The seam between the agent's polling loop (agent.ts) and one kind of agent (local/, docker/,
 * kubernetes/): the loop registers, heartbeats, polls and claims; a Deployer launches each claimed run
 * where its kind runs things. The loop fails a run whose deploy throws, with an ERROR log line.
 */
import type { Logger } from "pino";
import type { ClaimedFlowRun, SluiceClient } from "../client/index.js";
import type { SluiceConfig } from "../config/schema.js";
import { SluiceError } from "../core/errors.js";

/** What a deployer knows of the agent that uses it. */
export interface AgentIdentity {
  id: string;
  name: string;
  kind: string;
  labels: readonly string[];
}

/** The run-specific values of the run contract a deployer may know better than the agent's config. */
export interface RunEnvInput {
  /** The image the run is launched from (Docker, Kubernetes). */
  image?: string;
  /** Where the flow's module is, in the image or on disk. */
  flowFilePath?: string;
  /** Extra variables (a value here wins over the contract's). */
  env?: Readonly<Record<string, string>>;
}

/** What a deployer gets from the loop. */
export interface DeployContext {
  client: SluiceClient;
  config: SluiceConfig;
  agent: AgentIdentity;
  logger: Logger;
  /** The run contract's variables (spec §5) for `run`, with the agent's API URL and key. */
  runEnv(run: ClaimedFlowRun, input?: RunEnvInput): Record<string, string>;
  /** Writes an ERROR log line on the run and fails it with `message` (nothing when it already finished). */
  failRun(flowRunId: string, message: string): Promise<void>;
  /** Writes a log line on the run (best effort: errors are logged, not thrown). */
  logRun(flowRunId: string, level: "debug" | "info" | "warn" | "error", message: string, fields?: Record<string, unknown>): Promise<void>;
}

/** What a deploy launched. */
export interface Deployment {
  /** One line for the run's log, e.g. "started process 4711". */
  description: string;
  /** Resolves when what was launched ended; until then the run counts against `agent.maxConcurrentRuns`. @default undefined (counts only while deploying) */
  done?: Promise<void>;
}

/** One kind of agent. */
export interface Deployer {
  /** The kind, as registered with the server (e.g. "local", "docker", "kubernetes"). */
  readonly kind: string;
  /** Launches a claimed run. Throwing is a deploy error: the loop fails the run with the message. */
  deploy(run: ClaimedFlowRun, ctx: DeployContext): Promise<Deployment>;
  /** Called once per loop turn (e.g. watch and clean up what earlier deploys launched). Errors are logged. @default undefined */
  manage?(ctx: DeployContext): Promise<void>;
  /** Called once when the agent starts, after it registered (e.g. remove leftovers of an earlier life). @default undefined */
  prepare?(ctx: DeployContext): Promise<void>;
  /**
   * Called when the agent stops. With `stopRuns`, stop what was launched (tests, `--stop-runs`); else
   * leave it running: deployed runs report to the server by themselves.
   */
  close?(options: { stopRuns: boolean }): Promise<void>;
}

/** What a deployer factory gets. */
export interface DeployerFactoryOptions {
  config: SluiceConfig;
  logger: Logger;
  /**
   * Serialized environment types whose runs the agent follows to their end (those its kind launches, and
   * those that run in process). @default the agent kind's own environment types
   */
  followedTypes?: ReadonlySet<string>;
  /**
   * The agent kinds that run an environment type (from the platforms' declarations), so that a deployer
   * refusing a run names where it runs. @default undefined (a refusal names the types this kind runs instead)
   */
  runnersOf?: (type: string) => readonly string[];
}

/** Creates a deployer of one kind from the configuration. */
export type DeployerFactory = (options: DeployerFactoryOptions) => Deployer | Promise<Deployer>;

export { inheritedRunSettings } from "../deployment/run-contract.js";

/** The image a registered flow runs from: its environment's metadata.image, else its Docker storage's image. */
export function imageOf(run: ClaimedFlowRun): string | undefined {
  const fromEnv = run.flow.environment.metadata.image;
  if (typeof fromEnv === "string" && fromEnv !== "") return fromEnv;
  const fromStorage = (run.flow.storage as { image?: unknown }).image;
  return typeof fromStorage === "string" && fromStorage !== "" ? fromStorage : undefined;
}

/** The image a claimed run must run from (see imageOf); a flow that names none fails its deploy with what to do. */
export function requireImage(run: ClaimedFlowRun, agentKind: string): string {
  const image = imageOf(run);
  if (image !== undefined) return image;
  throw new SluiceError(
    "DEPLOY_FAILED",
    `flow "${run.flow.name}" (version ${run.flow.version}) names no image: register it with DockerStorage (its image becomes the environment's metadata.image) or set metadata.image on its environment`,
    { flowRunId: run.flowRun.id, field: "environment.metadata.image", kind: agentKind },
  );
}
