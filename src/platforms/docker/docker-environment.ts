/**
 * DockerEnvironment: a flow run happens in a container from the flow's image. `execute(flow)` creates
 * the container with the run contract's variables (spec §5; the user's `env` wins) and the entry
 * `sluice execute flow ... --events`, streams its events and output to the run's observers, and ends
 * with the container's outcome: the run's own final state, or Failed naming the signal or exit code
 * when the container died first. The container is always removed. Inside the container the entry calls
 * this environment's `run(flow)` (hooks and executor).
 *
 * ```ts
 * const storage = new DockerStorage({ registryUrl: "127.0.0.1:5000" });
 * export const etl = flow("etl", { storage, environment: new DockerEnvironment({ labels: ["docker"] }) }, () => { ... });
 * ```
 */
import { randomUUID } from "node:crypto";
import { defaultConfig } from "../../config/defaults.js";
import { Environment, type EnvironmentFlow, type EnvironmentOptions, type ExecuteOptions, type ExecuteResult } from "../../core/environment.js";
import { SluiceError, serializeError } from "../../core/errors.js";
import type { RunEvent } from "../../core/events.js";
import { isStorage } from "../../core/storage.js";
import { makeState, type State } from "../../core/states.js";
import { parseOptions } from "../../storage/parse-options.js";
import { storageImage } from "../../deployment/prepare.js";
import { envList, runContractEnv } from "../../deployment/run-contract.js";
import type { ContainerExit } from "./container-run.js";
import { dockerEnvironmentSchema } from "./environment-options.js";
import { RemoteRunTracker, remoteResult } from "./remote-result.js";

export interface DockerEnvironmentOptions extends EnvironmentOptions {
  /** Image to run. @default metadata.image, else the image of the flow's DockerStorage */
  image?: string;
  /** Variables for the container; they win over the run contract's. @default {} */
  env?: Record<string, string>;
  /** Docker network mode of the container (e.g. "host" to reach a server on the host's 127.0.0.1). @default the engine's default ("bridge") */
  networkMode?: string;
  /** When to pull the image: "missing", "always" or "never". @default "missing" */
  pull?: "missing" | "always" | "never";
  /** After a cancel (SIGINT to the container), how long the container gets to stop before it is killed, in ms. @default 10000 */
  stopTimeoutMs?: number;
}

export class DockerEnvironment extends Environment {
  static readonly serializedType = "DockerEnvironment";
  readonly image: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly networkMode: string | undefined;
  readonly pull: "missing" | "always" | "never";
  readonly stopTimeoutMs: number;

  constructor(options: DockerEnvironmentOptions = {}) {
    const { labels, onStart, onExit, metadata, executor, ...own } = options;
    super({ labels, onStart, onExit, metadata, executor } as EnvironmentOptions);
    const o = parseOptions(dockerEnvironmentSchema(), own, "DockerEnvironment");
    this.image = o.image;
    this.env = o.env;
    this.networkMode = o.networkMode;
    this.pull = o.pull;
    this.stopTimeoutMs = o.stopTimeoutMs;
  }

  /** The image a run of `flow` uses: the option, else metadata.image, else the flow's Docker storage image. */
  imageFor(flow: EnvironmentFlow): string {
    const image = this.image ?? (typeof this.metadata.image === "string" ? this.metadata.image : undefined) ?? storageImage((flow as { storage?: unknown }).storage);
    if (!image) {
      throw new SluiceError(
        "ENVIRONMENT_ERROR",
        `DockerEnvironment: flow "${flow.name}" has no image; build its DockerStorage first (sluice build <file>), or set image / metadata.image`,
        { field: "image", kind: "docker" },
      );
    }
    return image;
  }

  /** Where the flow's module is inside the image (from its storage). */
  #moduleInImage(flow: EnvironmentFlow): string {
    const storage = (flow as { storage?: unknown }).storage;
    if (isStorage(storage) && storage.contains(flow.name)) return storage.locate(flow.name).module;
    throw new SluiceError(
      "ENVIRONMENT_ERROR",
      `DockerEnvironment: flow "${flow.name}" is not in a DockerStorage, so where its code is inside the image is unknown; give it storage: new DockerStorage(...)`,
      { field: "storage", kind: "docker" },
    );
  }

  /** Runs `flow` in a container of its image (see `launch`). */
  async execute(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    return this.launch(flow, { image: this.imageFor(flow), module: this.#moduleInImage(flow) }, options);
  }

  /**
   * Runs `flow` in a container of `target.image`, loading it from `target.module` (its path in the
   * image). `execute()` finds both from the flow's storage; a launcher that already knows them (an
   * agent, `sluice run --image`) calls this directly.
   */
  async launch(flow: EnvironmentFlow, target: { image: string; module: string }, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const config = options.config ?? defaultConfig();
    const { image, module } = target;
    const flowRunId = options.flowRunId ?? randomUUID();
    const parameters = (options.parameters ?? {}) as Record<string, unknown>;
    // An executor object that is the flow's own is rebuilt in the container by the flow's module (with its
    // options); only a different choice travels, as a kind.
    const own = (flow as { executor?: unknown }).executor;
    const executor = typeof options.executor === "string" ? options.executor : options.executor && options.executor !== own ? options.executor.kind : undefined;
    const cmd = ["sluice", "execute", "flow", "--module", module, "--flow", flow.name, "--parameters", JSON.stringify(parameters), "--events"];
    if (executor !== undefined) cmd.push("--executor", executor);
    const env = runContractEnv({ config, flowRunId, image, flowFilePath: module, ...(options.flowId !== undefined ? { flowId: options.flowId } : {}) }, this.env);
    const tracker = new RemoteRunTracker(flowRunId, flow.name);
    const notify = (event: RunEvent): void => {
      for (const observer of options.observers ?? []) {
        try {
          observer(event);
        } catch {
          // Observers must not throw.
        }
      }
    };
    const onEvent = (event: RunEvent): void => {
      tracker.apply(event);
      notify(event);
    };
    // The engine client and the container streaming load when a run starts, not when Sluice is imported.
    const { levelOfOutput, runContainer } = await import("./container-run.js");
    const exit = await runContainer({
      engineHost: config.docker.host,
      image,
      pull: this.pull,
      cmd,
      env: envList(env),
      labels: { "sluice.io/flow-run-id": flowRunId, "sluice.io/identifier": randomUUID(), "sluice.io/flow-name": flow.name },
      networkMode: this.networkMode,
      stopTimeoutMs: this.stopTimeoutMs,
      flowRunId,
      signal: options.signal,
      onEvent,
      onOutput: (line, stream) =>
        notify({ type: "log", record: { level: levelOfOutput(stream), message: line, timestamp: new Date().toISOString(), flowRunId, fields: { stream } } }),
    });
    const keyOrder = (flow as { taskKeys?: () => string[] }).taskKeys?.() ?? [];
    if (exit.result) return { kind: "finished", result: remoteResult(exit.result, keyOrder, parameters) };
    for (const event of tracker.close(endState(exit, tracker.flowState))) notify(event);
    return { kind: "finished", result: tracker.result(keyOrder, parameters) };
  }
}

/** How a run ends when its container ended without a result. */
export function endState(exit: ContainerExit, reported: State | undefined): State {
  if (reported && (reported.name === "Failed" || reported.name === "Cancelled") && !exit.signal) return reported;
  const id = exit.containerId.slice(0, 12);
  if (exit.cancelled) {
    const message = `the flow run was cancelled: container ${id} was stopped (exit code ${exit.exitCode})`;
    return makeState("Cancelled", { message, error: serializeError(new SluiceError("CANCELLED", message)) });
  }
  let message: string;
  if (exit.oomKilled) message = `container ${id} ran out of memory and was killed (OOMKilled, exit code ${exit.exitCode})`;
  else if (exit.signal) message = `container ${id} was killed by ${exit.signal} (exit code ${exit.exitCode}) before the flow run finished`;
  else message = `container ${id} exited with code ${exit.exitCode} before the flow run finished${exit.stderrTail.length > 0 ? `: ${exit.stderrTail.slice(-5).join(" | ")}` : ""}`;
  return makeState("Failed", { message, error: serializeError(new SluiceError("ENVIRONMENT_ERROR", message, { kind: "docker" })) });
}
