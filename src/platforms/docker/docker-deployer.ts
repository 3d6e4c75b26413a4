/**
 * The Docker agent's deployer: each claimed run becomes a container of the flow's image (the serialized
 * environment's `metadata.image`, set at registration from Docker storage) with the run contract's
 * variables. A DockerEnvironment run is launched directly: its container runs
 * `sluice execute flow-run --stage run` (the flow itself, no second container); other runs it takes (those
 * that run in process, such as LocalEnvironment) run `--stage deploy`. A run whose environment this agent
 * kind does not run is refused before anything starts, naming the agent kinds that run it. Containers are labelled
 * `sluice.io/flow-run-id` (the key that ties a run's resources together) and `sluice.io/agent`, use the
 * host network by default (so a server on 127.0.0.1 is reachable), and are removed after they exit
 * unless `agent.keepContainers` is on. A container that exits non-zero before its run finished fails the
 * run with the exit code, OOM kill and last lines of output. On start, the agent removes exited
 * containers an earlier life of it left behind.
 */
import type Docker from "dockerode";
import type { ClaimedFlowRun } from "../../client/index.js";
import { SluiceError } from "../../core/errors.js";
import { isFinished } from "../../core/states.js";
import { AGENT_LABEL, FLOW_RUN_ID_LABEL } from "../../deployment/contract.js";
import { DockerEngine, engineMessage } from "../../storage/docker/index.js";
import { requireImage, type DeployContext, type Deployer, type Deployment } from "../../agents/deployer.js";
import { refuseUnlessRuns, type RunRouting } from "../run-refusal.js";
import { DockerEnvironment } from "./docker-environment.js";

/** Label carrying the run id on every container the Docker agent starts. */
export const FLOW_RUN_LABEL = FLOW_RUN_ID_LABEL;
export { AGENT_LABEL };

export interface DockerDeployerOptions extends RunRouting {
  /** Docker engine address. @default config.docker.host (the engine client's default) */
  engineHost?: string;
  /** Network mode of run containers. @default "host" */
  network?: string;
  /** Keep containers after they exit. @default false */
  keepContainers?: boolean;
  /** The command that starts Sluice's CLI in the image; `execute flow-run --stage <stage>` is appended. @default ["sluice"] */
  command?: readonly string[];
  /** Variables every run container gets besides the run contract (e.g. heartbeat settings). @default {} */
  env?: Readonly<Record<string, string>>;
  /** After SIGTERM, how long `close({ stopRuns: true })` waits before the engine kills a container. @default 10000 */
  stopGraceMs?: number;
}

const TAIL_LINES = 15;

export class DockerDeployer implements Deployer {
  readonly kind = "docker";
  readonly #options: DockerDeployerOptions;
  readonly #containers = new Map<string, { container: Docker.Container; exited: Promise<void> }>();
  #engine: Promise<DockerEngine> | undefined;

  constructor(options: DockerDeployerOptions = {}) {
    this.#options = options;
  }

  #connect(): Promise<DockerEngine> {
    this.#engine ??= DockerEngine.connect(this.#options.engineHost);
    this.#engine.catch(() => (this.#engine = undefined));
    return this.#engine;
  }

  /** Ids of the containers still running, by flow run id. */
  get containers(): Map<string, string> {
    return new Map([...this.#containers].map(([id, c]) => [id, c.container.id]));
  }

  async prepare(ctx: DeployContext): Promise<void> {
    const engine = await this.#connect();
    const leftovers = await engine.docker.listContainers({
      all: true,
      filters: { label: [`${AGENT_LABEL}=${ctx.agent.name}`], status: ["exited", "dead", "created"] },
    });
    if (this.#options.keepContainers) return;
    for (const info of leftovers)
      await engine.docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch(() => undefined);
    if (leftovers.length > 0) ctx.logger.info(`removed ${leftovers.length} exited run containers left by an earlier start of agent ${ctx.agent.name}`);
  }

  async deploy(run: ClaimedFlowRun, ctx: DeployContext): Promise<Deployment> {
    const flowRunId = run.flowRun.id;
    const environmentType = run.flow.environment.type;
    refuseUnlessRuns(this.kind, this.#options, { flowRunId, flowName: run.flow.name, environmentType });
    // The container this agent starts is the one a DockerEnvironment would start: it runs the flow itself.
    const stage = environmentType === DockerEnvironment.serializedType ? "run" : "deploy";
    const image = requireImage(run, this.kind);
    const engine = await this.#connect();
    if ((await engine.inspectImage(image)) === null) await engine.pull(image);
    const location = (run.flow.storage as { flows?: Record<string, unknown> }).flows?.[run.flow.name];
    const env = ctx.runEnv(run, { image, ...(typeof location === "string" ? { flowFilePath: location } : {}), env: { ...this.#options.env } });
    const command = this.#options.command ?? ["sluice"];
    let container: Docker.Container;
    try {
      container = await engine.docker.createContainer({
        Image: image,
        Cmd: [...command, "execute", "flow-run", "--stage", stage],
        Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
        Labels: { [FLOW_RUN_LABEL]: flowRunId, [AGENT_LABEL]: ctx.agent.name },
        HostConfig: { NetworkMode: this.#options.network ?? "host", AutoRemove: false },
      });
      await container.start();
    } catch (error) {
      throw new SluiceError("DEPLOY_FAILED", `starting a container of ${image} failed: ${engineMessage(error)}`, { flowRunId, kind: "docker", cause: error });
    }
    const exited = this.#follow(ctx, flowRunId, container);
    this.#containers.set(flowRunId, { container, exited });
    return { description: `started container ${container.id.slice(0, 12)} from ${image}`, done: exited };
  }

  async #follow(ctx: DeployContext, flowRunId: string, container: Docker.Container): Promise<void> {
    try {
      const waited = (await container.wait()) as { StatusCode?: number };
      const code = waited.StatusCode ?? 1;
      if (code !== 0) await this.#failedExit(ctx, flowRunId, container, code);
    } catch (error) {
      ctx.logger.warn({ flowRunId, err: error }, `lost track of the container of flow run ${flowRunId}: ${engineMessage(error)}`);
    } finally {
      this.#containers.delete(flowRunId);
      if (!this.#options.keepContainers) await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async #failedExit(ctx: DeployContext, flowRunId: string, container: Docker.Container, code: number): Promise<void> {
    try {
      if (isFinished((await ctx.client.getFlowRun(flowRunId)).state.name)) return;
    } catch {
      // The server is unreachable: failRun tries again.
    }
    const state = await container.inspect().then(
      (info) => info.State,
      () => undefined,
    );
    const oom = state?.OOMKilled ? " (killed for lack of memory: OOMKilled)" : "";
    let tail = "";
    try {
      const buffer = (await container.logs({ stdout: true, stderr: true, tail: TAIL_LINES, follow: false })) as unknown as Buffer;
      tail = demux(buffer).join("\n");
    } catch {
      // No logs: the message says what is known.
    }
    await ctx.failRun(
      flowRunId,
      `The flow-run container ${container.id.slice(0, 12)} exited with code ${code}${oom} before the run finished${tail ? `; its last output:\n${tail}` : ""}`,
    );
  }

  async close(options: { stopRuns: boolean }): Promise<void> {
    if (!options.stopRuns) return;
    const t = Math.ceil((this.#options.stopGraceMs ?? 10_000) / 1000);
    const running = [...this.#containers.values()];
    await Promise.all(running.map(({ container }) => container.stop({ t }).catch(() => undefined)));
    await Promise.all(running.map(({ exited }) => exited));
  }
}

/** The lines of a non-TTY container log (8-byte frame headers per chunk), cut to 1,000 characters each. */
export function demux(buffer: Buffer): string[] {
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size).toString("utf8"));
    offset += 8 + size;
  }
  const text = offset === 0 && buffer.length > 0 ? buffer.toString("utf8") : parts.join("");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (l.length > 1000 ? `${l.slice(0, 1000)}…` : l));
}
