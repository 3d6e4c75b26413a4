/**
 * DockerEnvironment: a flow run happens in a container from the flow's image, with the run contract's
 * variables (the user's `env` wins). What the container runs depends on the run (container-command.ts):
 * a deployed run runs stage "run" and reports to the server itself, and `execute()` waits for the
 * container, failing the run only when the container died without its entry ending it; a run without a
 * server (`sluice run --environment docker`) runs `sluice execute flow ... --events`, whose events and
 * output are streamed to the run's observers, and ends with the run's own final state, or Failed naming
 * the signal or exit code when the container died first. The container is always removed. Inside the
 * container the entry calls this environment's `run(flow)` (hooks and executor).
 *
 * ```ts
 * const storage = new DockerStorage({ registryUrl: "127.0.0.1:5000" });
 * export const etl = flow("etl", { storage, environment: new DockerEnvironment({ labels: ["docker"] }) }, () => { ... });
 * ```
 */
import { randomUUID } from "node:crypto";
import { defaultConfig } from "../../config/defaults.js";
import {
  Environment,
  notifyObservers,
  type EnvironmentFlow,
  type ImageTarget,
  type LaunchesFromImage,
  type EnvironmentOptions,
  type ExecuteOptions,
  type ExecuteResult,
} from "../../core/environment.js";
import { SluiceError, serializeError } from "../../core/errors.js";
import type { RunEvent } from "../../core/events.js";
import { isStorage } from "../../core/storage.js";
import { makeState, type State } from "../../core/states.js";
import { parseOptions } from "../../core/parse-options.js";
import { storageImage } from "../../deployment/contract.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../deployment/contract.js";
import { envList } from "../../deployment/contract.js";
import { containerCommand } from "./container-command.js";
import type { ContainerExit } from "./container-run.js";
import { dockerEnvironmentSchema, type DockerEnvironmentOptions } from "./environment-options.js";

export type { DockerEnvironmentOptions } from "./environment-options.js";
import { RemoteRunTracker, remoteResult } from "./remote-result.js";

export class DockerEnvironment extends Environment implements LaunchesFromImage {
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
    const image =
      this.image ?? (typeof this.metadata.image === "string" ? this.metadata.image : undefined) ?? storageImage((flow as { storage?: unknown }).storage);
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
  async launch(flow: EnvironmentFlow, target: ImageTarget, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const config = options.config ?? defaultConfig();
    const { image, module } = target;
    const flowRunId = options.flowRunId ?? randomUUID();
    const parameters = (options.parameters ?? {}) as Record<string, unknown>;
    // An executor object that is the flow's own is rebuilt in the container by the flow's module (with its
    // options); only a different choice travels, as a kind.
    const own = (flow as { executor?: unknown }).executor;
    const executor = typeof options.executor === "string" ? options.executor : options.executor && options.executor !== own ? options.executor.kind : undefined;
    const run = containerCommand({
      config,
      flowName: flow.name,
      module,
      image,
      flowRunId,
      ...(options.flowId !== undefined ? { flowId: options.flowId } : {}),
      parameters,
      ...(executor !== undefined ? { executor } : {}),
      userEnv: this.env,
    });
    const tracker = new RemoteRunTracker(flowRunId, flow.name);
    const onEvent = (event: RunEvent): void => {
      tracker.apply(event);
      notifyObservers(options.observers, event);
    };
    // The engine client and the container streaming load when a run starts, not when Sluice is imported.
    const { levelOfOutput, runContainer } = await import("./container-run.js");
    const exit = await runContainer({
      engineHost: config.docker.host,
      image,
      pull: this.pull,
      cmd: run.cmd,
      env: envList(run.env),
      labels: { [FLOW_RUN_ID_LABEL]: flowRunId, [IDENTIFIER_LABEL]: randomUUID(), "sluice.io/flow-name": flow.name },
      // A deployed run's container talks to the server: by default on the network the Docker agent uses.
      networkMode: this.networkMode ?? (run.deployed ? config.agent.dockerNetwork : undefined),
      stopTimeoutMs: this.stopTimeoutMs,
      flowRunId,
      signal: options.signal,
      onEvent,
      onOutput: (line, stream) => {
        // A deployed run sends its own logs to the server; its output here is only kept for failure messages.
        if (run.deployed) return;
        notifyObservers(options.observers, {
          type: "log",
          record: { level: levelOfOutput(stream), message: line, timestamp: new Date().toISOString(), flowRunId, fields: { stream } },
        });
      },
    });
    if (run.deployed) return deployedOutcome(exit, image);
    const keyOrder = (flow as { taskKeys?: () => string[] }).taskKeys?.() ?? [];
    if (exit.result) return { kind: "finished", result: remoteResult(exit.result, keyOrder, parameters) };
    for (const event of tracker.close(endState(exit, tracker.flowState))) notifyObservers(options.observers, event);
    return { kind: "finished", result: tracker.result(keyOrder, parameters) };
  }
}

/**
 * How a deployed run's container ended, for stage "deploy". Exit 0 or 1 is the entry's own ending (the run
 * succeeded, or did not and said so to the server); anything else (a signal, an OOM kill, bad input) means
 * the run may not have reported its end, so stage "deploy" fails it with the container's reason.
 */
export function deployedOutcome(exit: ContainerExit, image: string): ExecuteResult {
  const id = exit.containerId.slice(0, 12);
  if (!exit.oomKilled && !exit.signal && (exit.exitCode === 0 || exit.exitCode === 1)) {
    return {
      kind: "launched",
      description: `container ${id} of ${image} ran the flow run and reported it (exit code ${exit.exitCode})`,
      resources: { container: exit.containerId, image },
    };
  }
  const state = endState(exit, undefined);
  throw new SluiceError(state.name === "Cancelled" ? "CANCELLED" : "ENVIRONMENT_ERROR", state.message ?? `container ${id} failed`, { kind: "docker" });
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
  else
    message = `container ${id} exited with code ${exit.exitCode} before the flow run finished${exit.stderrTail.length > 0 ? `: ${exit.stderrTail.slice(-5).join(" | ")}` : ""}`;
  return makeState("Failed", { message, error: serializeError(new SluiceError("ENVIRONMENT_ERROR", message, { kind: "docker" })) });
}
