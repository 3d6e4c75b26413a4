/**
 * The Storage seam: WHERE a flow's code lives so that another process or machine can load it.
 * A storage holds one or more flows (by name, unique), can be built (a Docker image is built and pushed;
 * a module path needs nothing), serializes to what the server may know, and loads a flow back by name.
 */
import type { RunConfig } from "./run-config.js";
import type { FlowLocator, JsonValue } from "./executor.js";

/** A flow as storage sees it (the core's Flow satisfies it). */
export interface StorableFlow {
  readonly name: string;
  /** The defining module (file: URL or path), recorded by flow(). */
  readonly module?: string | null;
  /** The flow's environment: storages that ship the code elsewhere ship the files it lists too (Environment.imageFiles). */
  readonly environment?: { readonly imageFiles?: readonly string[] } | null;
}

/** A step of a build or push the user may want to see (e.g. a layer being pushed). */
export interface BuildProgress {
  /** What the step is about, e.g. a layer id; undefined for whole-build steps. */
  id?: string;
  /** e.g. "Pushing", "Pushed", "Step 3/9". */
  status: string;
  /** Bytes or units done, when known. */
  current?: number;
  /** Bytes or units in all, when known. */
  total?: number;
}

/** Where build and push output goes (the CLI prints it; tests collect it). */
export interface BuildOutput {
  /** One line of output (the engine's build log, a message of Sluice). */
  line(text: string): void;
  /** A progress update; may be shown as a live line in a terminal. @default ignored */
  progress?(event: BuildProgress): void;
}

export interface StorageBuildOptions {
  /** Push the built artifact when the storage names a registry. @default true */
  push?: boolean;
  /** Sluice's configuration (engine address, default base image, ...). @default the schema's defaults */
  config?: RunConfig;
  /** Where output and progress go. @default nowhere */
  output?: BuildOutput;
  /** Aborting it stops the build where it can. @default undefined */
  signal?: AbortSignal;
}

/** What `serialize()` returns: all the server may know of a storage (never credentials, env values or host paths of files). */
export interface SerializedStorage {
  /** e.g. "DockerStorage". */
  type: string;
  /** Version of Sluice that serialized it. */
  version: string;
  /** Flow name → where the flow's module is (a path in the image, a module path, a package specifier). */
  flows: Record<string, string>;
  [field: string]: JsonValue;
}

/** A storage kind. */
export interface Storage {
  /** The serialized type, e.g. "DockerStorage". */
  readonly type: string;
  /** Names of the flows it holds, in the order they were added. */
  readonly flowNames: readonly string[];
  /**
   * Adds a flow and returns where it will live (e.g. its module's path inside the image). `module`
   * defaults to the flow's defining module. A second flow with the same name is a CONFLICT error.
   */
  addFlow(flow: StorableFlow, module?: string): string;
  /** True when it holds a flow of that name. */
  contains(flowName: string): boolean;
  /** How a process that has this storage's code loads the flow (NOT_FOUND when it holds no such flow). */
  locate(flowName: string): FlowLocator;
  /** Makes the code available to other machines (builds and pushes an image, ...). Resolves to this storage. */
  build(options?: StorageBuildOptions): Promise<this>;
  /** What the server may know. */
  serialize(): SerializedStorage;
  /**
   * Loads a flow it holds by name, in this process. Fails with the reason where the code is not reachable.
   * The result is typed `unknown` because a storage runs code it does not control: the caller checks it
   * with `isFlow()` before using it (this also keeps the Storage contract free of the Flow class).
   */
  loadFlow(flowName: string): Promise<unknown>;
}

/** True for objects that implement the Storage contract. */
export function isStorage(value: unknown): value is Storage {
  const v = value as Storage | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.type === "string" &&
    typeof v.addFlow === "function" &&
    typeof v.build === "function" &&
    typeof v.serialize === "function" &&
    typeof v.loadFlow === "function"
  );
}
