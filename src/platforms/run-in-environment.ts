/**
 * `sluice run --environment <kind>`: runs a loaded flow through an environment of that kind instead of
 * directly. For kinds that run from an image (docker), the flow's DockerStorage is built first (not
 * pushed), or an ephemeral one named `sluice-run-<flow>:local` when the flow has none; with `image`, an
 * existing image is used as is. The flow's own environment is used when it is of that kind.
 */
import type { SluiceConfig } from "../config/schema.js";
import { launchesFromImage, type Environment, type EnvironmentFlow, type ExecuteOptions } from "../core/environment.js";
import { SluiceError } from "../core/errors.js";
import type { FlowRunOptions, FlowRunResult } from "../core/flow-options.js";
import type { AnyFlow } from "../core/flow.js";
import { isStorage, type BuildOutput, type Storage } from "../core/storage.js";
import { createEnvironment, environmentKind } from "./environment-registry.js";

export interface RunInEnvironmentOptions {
  flow: AnyFlow;
  /** Environment kind, e.g. "local" or "docker". */
  kind: string;
  /** An existing image to run (kinds that run from an image only). @default build the flow's storage */
  image?: string;
  config: SluiceConfig;
  /** Parameters, executor, observers, signal, logging: as for `flow.run()`. */
  runOptions: FlowRunOptions;
  /** Where build output goes. @default nowhere */
  output?: BuildOutput;
}

async function environmentFor(flow: AnyFlow, kind: string): Promise<Environment> {
  const entry = environmentKind(kind, "--environment");
  const own = flow.environment as Environment | undefined;
  if (own && (own as { type?: unknown }).type === entry.type) return own;
  return createEnvironment(kind);
}

async function imageStorage(flow: AnyFlow, kind: string): Promise<Storage> {
  if (flow.storage !== undefined) {
    if (isStorage(flow.storage) && flow.storage.type === "DockerStorage") return flow.storage;
    const type = isStorage(flow.storage) ? flow.storage.type : "an unknown storage";
    throw new SluiceError(
      "INVALID_INPUT",
      `--environment ${kind} runs the flow from an image, but flow "${flow.name}" has ${type}; give it storage: new DockerStorage(...), or leave storage out to use a temporary image`,
      { field: "--environment", value: kind },
    );
  }
  const { DockerStorage, slugify } = await import("../storage/docker/index.js");
  return new DockerStorage({ imageName: `sluice-run-${slugify(flow.name) || "flow"}`, imageTag: "local" });
}

/** Runs the flow through an environment of `kind`; resolves with the run's result. */
export async function runInEnvironment(options: RunInEnvironmentOptions): Promise<FlowRunResult> {
  const { flow, kind, config } = options;
  const entry = environmentKind(kind, "--environment");
  const environment = await environmentFor(flow, kind);
  const execute: ExecuteOptions = { ...options.runOptions, config };
  let outcome;
  if (!entry.needsImage) {
    if (options.image !== undefined) {
      throw new SluiceError("INVALID_INPUT", `--image is for environments that run from an image; --environment ${kind} runs the flow here`, {
        field: "--image",
      });
    }
    outcome = await environment.execute(flow, execute);
  } else {
    const storage = await imageStorage(flow, kind);
    storage.addFlow(flow);
    const view: EnvironmentFlow & { storage: Storage; taskKeys(): string[] } = {
      name: flow.name,
      storage,
      taskKeys: () => flow.taskKeys(),
      run: (runOptions) => flow.run(runOptions),
    };
    if (options.image !== undefined) {
      if (!launchesFromImage(environment)) {
        throw new SluiceError("INVALID_INPUT", `--image is not supported by --environment ${kind}`, { field: "--image" });
      }
      outcome = await environment.launch(view, { image: options.image, module: storage.locate(flow.name).module }, execute);
    } else {
      await storage.build({ config, push: false, ...(options.output ? { output: options.output } : {}) });
      outcome = await environment.execute(view, execute);
    }
  }
  if (outcome.kind !== "finished") {
    throw new SluiceError("ENVIRONMENT_ERROR", `the ${kind} environment launched the run elsewhere (${outcome.description}); it reports there, not here`, {
      kind,
    });
  }
  return outcome.result;
}
