/**
 * The Environment seam: WHERE a flow run's process runs and how it is launched (this process, a Docker
 * container, a Kubernetes Job, a temporary cluster). HOW the tasks inside run is the executor's business;
 * an environment only carries the executor its runs use.
 *
 * The contract:
 * - common options: labels (a set, serialized sorted), onStart, onExit, metadata (default {}), executor
 *   (anything that is not an Executor is a TypeError at construction);
 * - `setup(flow)` provisions what must exist before execution (default: nothing);
 * - `execute(flow, options)` launches the run where this environment runs things;
 * - `run(flow, options)` runs the flow in THIS process: onStart, the flow runner with the environment's
 *   executor, any error logged then re-thrown, onExit in a finally. If onStart throws, the run fails with
 *   that error and onExit is not called;
 * - `serialize()` is all the server may know: type, version, sorted labels, metadata and a few declared
 *   scalar fields; never a spec, a path, credentials, the executor or the callbacks.
 */
import type { RunConfig } from "./run-config.js";
import { randomUUID } from "node:crypto";
import { SluiceError, serializeError, showValue } from "./errors.js";
import type { RunEvent, RunObserver } from "./events.js";
import { isExecutor, type Executor, type JsonObject, type JsonValue } from "./executor.js";
import type { FlowRunOptions, FlowRunResult } from "./run-options.js";
import { createLogger } from "./logger.js";
import { makeState } from "./states.js";
import { SLUICE_VERSION } from "./version.js";

/** What an environment needs of a flow (the core's Flow satisfies it). */
export interface EnvironmentFlow {
  readonly name: string;
  run(options?: FlowRunOptions): Promise<FlowRunResult>;
}

/** A hook called around a run in the process that runs the flow. */
export type EnvironmentHook = () => void | Promise<void>;

/** Options every environment takes. */
export interface EnvironmentOptions {
  /** Agents take a run only if their labels include all of these. Stored as a set. @default [] */
  labels?: Iterable<string>;
  /** Called before the flow runs, in the process that runs it. If it throws, the run fails with that error and onExit is not called. @default undefined */
  onStart?: EnvironmentHook;
  /** Called after the flow ran (also when it failed), in the process that ran it. @default undefined */
  onExit?: EnvironmentHook;
  /** JSON the server keeps with the flow (e.g. `image` for agents). @default {} */
  metadata?: JsonObject;
  /** The executor of runs in this environment. @default undefined: the run's, else the flow's, else the configured default */
  executor?: Executor;
}

/** Options of `run(flow, options)`: those of `flow.run()`; `executor` is used only when the environment has none. */
export type EnvironmentRunOptions = FlowRunOptions;

/** Options of `execute(flow, options)`. */
export interface ExecuteOptions extends EnvironmentRunOptions {
  /**
   * The configuration a launched run inherits (API URL and key, logging, engine, namespace): the variables
   * every deployed run gets. Environments that launch another process need it; LocalEnvironment ignores it.
   * @default undefined (the schema's defaults)
   */
  config?: RunConfig;
  /** Id of the registered flow, for the run contract. @default config.context.flowId */
  flowId?: string;
}

/** How `execute()` ended: the run finished where it was launched, or it was launched and reports by itself. */
export type ExecuteResult =
  | { kind: "finished"; result: FlowRunResult }
  | {
      kind: "launched";
      /** One line for humans, e.g. "created Job sluice-abc in namespace default". */
      description: string;
      /** Identifiers of what was created (JSON; never secrets). */
      resources: JsonObject;
    };

/** Where a run's code is in an image: the image reference and the flow's module inside it. */
export interface ImageTarget {
  image: string;
  module: string;
}

/**
 * A capability of environments that run from an image: `launch()` runs a flow from an image that already
 * exists (an agent, `sluice run --image`), where `execute()` finds the image from the flow's storage.
 */
export interface LaunchesFromImage {
  launch(flow: EnvironmentFlow, target: ImageTarget, options?: ExecuteOptions): Promise<ExecuteResult>;
}

/** Whether `environment` has the LaunchesFromImage capability. */
export function launchesFromImage(environment: object): environment is LaunchesFromImage {
  return typeof (environment as Partial<LaunchesFromImage>).launch === "function";
}

/** A scalar field an environment declares for the server (e.g. minWorkers). */
export type SerializedScalar = string | number | boolean | null;

/** What `serialize()` returns: all the server may know of an environment. */
export interface SerializedEnvironment {
  /** The class, e.g. "LocalEnvironment"; "CustomEnvironment" for classes Sluice does not know. */
  type: string;
  /** Version of Sluice that serialized it. */
  version: string;
  /** Sorted, without duplicates. */
  labels: string[];
  metadata: JsonObject;
  /** Declared scalar fields, e.g. { minWorkers: 1 }. */
  [field: string]: JsonValue;
}

const RESERVED = new Set(["type", "version", "labels", "metadata"]);

function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (Number.isFinite(value)) return;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${path}[${i}]`));
    return;
  } else if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) checkJson(v, `${path}.${k}`);
    return;
  }
  throw new SluiceError(
    "INVALID_OPTION",
    `${path} is ${showValue(value)}, which is not JSON; metadata holds only strings, numbers, booleans, null, arrays and plain objects`,
    {
      field: path,
      value,
    },
  );
}

function compileLabels(labels: unknown, owner: string): Set<string> {
  if (labels === undefined) return new Set();
  if (typeof labels === "string" || labels === null || typeof (labels as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new SluiceError("INVALID_OPTION", `${owner}: labels is ${showValue(labels)}; pass an array of strings, e.g. labels: ["docker", "gpu"]`, {
      field: "labels",
      value: labels,
    });
  }
  const out = new Set<string>();
  for (const label of labels as Iterable<unknown>) {
    if (typeof label !== "string" || label.trim() === "") {
      throw new SluiceError("INVALID_OPTION", `${owner}: label ${showValue(label)} is not a non-empty string; every label must be one`, {
        field: "labels",
        value: label,
      });
    }
    out.add(label);
  }
  return out;
}

function checkHook(hook: unknown, name: string, owner: string): EnvironmentHook | undefined {
  if (hook === undefined) return undefined;
  if (typeof hook !== "function") {
    throw new TypeError(`${owner}: ${name} is ${showValue(hook)}; pass a function () => void | Promise<void>, or leave it out`);
  }
  return hook as EnvironmentHook;
}

/** Gives `event` to every observer of a run; an observer that throws is skipped (observers must not change the run). */
export function notifyObservers(observers: readonly RunObserver[] | undefined, event: RunEvent): void {
  for (const observer of observers ?? []) {
    try {
      observer(event);
    } catch {
      // Observers must not throw; a broken observer must not change the run.
    }
  }
}

/**
 * The contract of an environment: what Sluice asks of one. The four verbs are `setup`, `execute`, `run` and
 * `serialize`; the rest is what routing and storage read. Implement it directly, or extend `Environment`
 * (the class of the same name, `EnvironmentBase`), which gives the common options, label routing,
 * serialization and the hooks of `run()` (`runWithHooks`).
 */
export interface Environment {
  /** The serialized type, e.g. "DockerEnvironment". */
  readonly type: string;
  /** Agents take a run only if their labels include all of these. */
  readonly labels: Set<string>;
  /** JSON the server keeps with the flow. Mutable: registration sets `image` from Docker storage. */
  metadata: JsonObject;
  /** Files the environment reads when it is constructed, shipped with the flow's code (see EnvironmentBase.imageFiles). */
  readonly imageFiles: readonly string[];
  /** True when an agent with `agentLabels` may take runs of this environment. */
  routesTo(agentLabels: Iterable<string>): boolean;
  /** Provisions what must exist before execution. */
  setup(flow: EnvironmentFlow, options?: ExecuteOptions): Promise<void>;
  /** Launches a run of `flow` where this environment runs things. */
  execute(flow: EnvironmentFlow, options?: ExecuteOptions): Promise<ExecuteResult>;
  /** Runs `flow` in this process, with the environment's hooks and executor. */
  run(flow: EnvironmentFlow, options?: EnvironmentRunOptions): Promise<FlowRunResult>;
  /** What the server may know: type, version, sorted labels, metadata and declared scalar fields. */
  serialize(): SerializedEnvironment;
}

/** What `runWithHooks` needs of an environment: its type (for messages), its executor and its hooks. */
export interface HookedEnvironment {
  readonly type: string;
  readonly executor?: Executor | undefined;
  readonly onStart?: EnvironmentHook | undefined;
  readonly onExit?: EnvironmentHook | undefined;
}

/**
 * Runs `flow` in this process the way every environment does: onStart, the flow runner with the
 * environment's executor (else `options.executor`), errors logged and re-thrown, onExit in a finally. An
 * error thrown by onStart fails the run (observers see a Failed flow run state) and onExit is not called.
 * An error thrown by onExit is logged, and re-thrown unless the run already threw.
 */
export async function runWithHooks(environment: HookedEnvironment, flow: EnvironmentFlow, options: EnvironmentRunOptions = {}): Promise<FlowRunResult> {
  const flowRunId = options.flowRunId ?? randomUUID();
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info" });
  const log = (message: string, error: unknown): void => {
    logger.error({ flowRunId, flowName: flow.name, err: error }, message);
    notifyObservers(options.observers, {
      type: "log",
      record: { level: "error", message, timestamp: new Date().toISOString(), flowRunId, fields: { error: serializeError(error) as unknown as JsonObject } },
    });
  };
  if (environment.onStart) {
    try {
      await environment.onStart();
    } catch (error) {
      const message = `onStart of ${environment.type} failed: ${error instanceof Error ? error.message : String(error)}`;
      log(message, error);
      notifyObservers(options.observers, {
        type: "flow-run-state",
        flowRunId,
        flowName: flow.name,
        state: makeState("Failed", { message, error: serializeError(error) }),
      });
      throw error;
    }
  }
  let failed = false;
  try {
    return await flow.run({ ...options, flowRunId, logger, executor: environment.executor ?? options.executor });
  } catch (error) {
    failed = true;
    log(`Unexpected error while running flow "${flow.name}": ${error instanceof Error ? error.message : String(error)}`, error);
    throw error;
  } finally {
    if (environment.onExit) {
      try {
        await environment.onExit();
      } catch (error) {
        log(`onExit of ${environment.type} failed: ${error instanceof Error ? error.message : String(error)}`, error);
        // eslint-disable-next-line no-unsafe-finally -- documented: onExit's error surfaces when the run itself succeeded
        if (!failed) throw error;
      }
    }
  }
}

/**
 * The shared behaviour of environments, as a base class: the common options, label routing, `run()` with
 * its hooks and serialization. Exported as `Environment` too, so `class MyEnvironment extends Environment`
 * works. Subclasses implement `execute()`; those that Sluice knows declare `static readonly serializedType`
 * (a subclass without its own serializes as "CustomEnvironment") and may declare scalar fields for the
 * server by overriding `serializedFields()`.
 */
export abstract class EnvironmentBase implements Environment {
  /** Agents take a run only if their labels include all of these. */
  readonly labels: Set<string>;
  /** JSON the server keeps with the flow. Mutable: registration sets `image` from Docker storage. */
  metadata: JsonObject;
  /** The executor of runs in this environment, if it names one. */
  readonly executor: Executor | undefined;
  readonly onStart: EnvironmentHook | undefined;
  readonly onExit: EnvironmentHook | undefined;

  constructor(options: EnvironmentOptions = {}) {
    const owner = this.constructor.name || "Environment";
    if (typeof options !== "object" || options === null) {
      throw new SluiceError("INVALID_OPTION", `${owner}: options are ${showValue(options)}; pass an object`, { field: "options", value: options });
    }
    if (options.executor !== undefined && !isExecutor(options.executor)) {
      throw new TypeError(
        `${owner}: executor is ${showValue(options.executor)}, which is not an Executor; pass an executor object (e.g. new ConcurrentExecutor()) or leave it out`,
      );
    }
    this.executor = options.executor;
    this.labels = compileLabels(options.labels, owner);
    const metadata = options.metadata ?? {};
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
      throw new SluiceError("INVALID_OPTION", `${owner}: metadata is ${showValue(metadata)}; pass a plain JSON object`, { field: "metadata", value: metadata });
    }
    checkJson(metadata, "metadata");
    this.metadata = structuredClone(metadata);
    this.onStart = checkHook(options.onStart, "onStart", owner);
    this.onExit = checkHook(options.onExit, "onExit", owner);
  }

  /** The serialized type: the class's own `serializedType`, else "CustomEnvironment". */
  get type(): string {
    const ctor = this.constructor as { serializedType?: unknown };
    return Object.hasOwn(ctor, "serializedType") && typeof ctor.serializedType === "string" ? ctor.serializedType : "CustomEnvironment";
  }

  /** True when an agent with `agentLabels` may take runs of this environment (its labels include all of ours). */
  routesTo(agentLabels: Iterable<string>): boolean {
    const have = new Set(agentLabels);
    for (const label of this.labels) if (!have.has(label)) return false;
    return true;
  }

  /**
   * Files on this machine that the environment reads when it is constructed (e.g. a job spec), as
   * absolute paths. The flow's module is imported again wherever its storage ships it (inside its Docker
   * image), so the environment is constructed there too: DockerStorage copies each of these files into the
   * image at the same absolute path, and a relative path or `new URL("./x", import.meta.url)` the module
   * computes there is mapped back to it. Kinds that read files override this.
   * @default [] (nothing to ship)
   */
  get imageFiles(): readonly string[] {
    return [];
  }

  /** Provisions what must exist before execution. Default: nothing. */
  async setup(_flow: EnvironmentFlow, _options: ExecuteOptions = {}): Promise<void> {}

  /** Launches a run of `flow` where this environment runs things. */
  abstract execute(flow: EnvironmentFlow, options?: ExecuteOptions): Promise<ExecuteResult>;

  /**
   * Runs `flow` in this process: onStart, the flow runner with this environment's executor (else
   * `options.executor`), errors logged and re-thrown, onExit in a finally. An error thrown by onStart
   * fails the run (observers see a Failed flow run state) and onExit is not called. An error thrown by
   * onExit is logged, and re-thrown unless the run already threw.
   */
  run(flow: EnvironmentFlow, options: EnvironmentRunOptions = {}): Promise<FlowRunResult> {
    return runWithHooks(this, flow, options);
  }

  /** Scalar fields the server may know beyond type, version, labels and metadata. Default: none. */
  protected serializedFields(): Record<string, SerializedScalar> {
    return {};
  }

  /** What the server may know: type, version, sorted labels, metadata and the declared scalar fields. */
  serialize(): SerializedEnvironment {
    const type = this.type;
    const out: SerializedEnvironment = { type, version: SLUICE_VERSION, labels: [...this.labels].sort(), metadata: structuredClone(this.metadata) };
    if (type === "CustomEnvironment") return out;
    for (const [key, value] of Object.entries(this.serializedFields())) {
      if (RESERVED.has(key)) throw new SluiceError("INTERNAL", `${type}.serializedFields() declares the reserved field "${key}"`, { field: key });
      const ok = value === null || ["string", "boolean"].includes(typeof value) || (typeof value === "number" && Number.isFinite(value));
      if (!ok)
        throw new SluiceError("INTERNAL", `${type}.serializedFields().${key} is ${showValue(value)}; declared fields must be scalars`, { field: key, value });
      out[key] = value;
    }
    return out;
  }
}

/** The base class under the contract's name, for `class MyEnvironment extends Environment`. */
export const Environment = EnvironmentBase;

/**
 * An environment rebuilt from its serialized form (e.g. by the server or an agent). It routes by labels
 * and serializes back to the same JSON, but cannot set up, execute or run: the real environment lives
 * with the flow in its storage.
 */
export class SerializedEnvironmentStandIn extends EnvironmentBase {
  readonly #serialized: SerializedEnvironment;

  constructor(serialized: SerializedEnvironment) {
    super({ labels: serialized.labels, metadata: serialized.metadata });
    this.#serialized = structuredClone(serialized);
  }

  override get type(): string {
    return this.#serialized.type;
  }

  /** The declared scalar fields that came with it (e.g. { minWorkers: 1 }). */
  get fields(): Record<string, JsonValue> {
    const { type: _t, version: _v, labels: _l, metadata: _m, ...fields } = this.#serialized;
    return fields;
  }

  #error(verb: string, flowName: string): SluiceError {
    return new SluiceError(
      "ENVIRONMENT_ERROR",
      `cannot ${verb} flow "${flowName}" with a deserialized ${this.type}: it is a stand-in that only routes by labels. ` +
        `Load the real flow from its storage (storage.loadFlow("${flowName}")) and use its environment.`,
      { kind: this.type },
    );
  }

  override setup(flow: EnvironmentFlow): Promise<void> {
    return Promise.reject(this.#error("set up", flow.name));
  }

  override execute(flow: EnvironmentFlow): Promise<ExecuteResult> {
    return Promise.reject(this.#error("execute", flow.name));
  }

  override run(flow: EnvironmentFlow): Promise<FlowRunResult> {
    return Promise.reject(this.#error("run", flow.name));
  }

  override serialize(): SerializedEnvironment {
    return { ...structuredClone(this.#serialized), labels: [...this.labels].sort(), metadata: structuredClone(this.metadata) };
  }
}

/** Rebuilds a stand-in from `serialize()`'s output; a malformed value is an error naming the field. */
export function deserializeEnvironment(value: unknown): SerializedEnvironmentStandIn {
  const fail = (field: string, got: unknown, want: string): never => {
    throw new SluiceError("INVALID_INPUT", `serialized environment: ${field} is ${showValue(got)}; expected ${want}`, { field, value: got });
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("(root)", value, "an object");
  const v = value as Record<string, unknown>;
  if (typeof v.type !== "string" || v.type === "") fail("type", v.type, "a non-empty string: the serialized type of an environment class");
  if (typeof v.version !== "string") fail("version", v.version, "a version string");
  if (!Array.isArray(v.labels) || v.labels.some((l) => typeof l !== "string")) fail("labels", v.labels, "an array of strings");
  const metadata = v.metadata ?? {};
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) fail("metadata", metadata, "a JSON object");
  checkJson(value, "environment");
  return new SerializedEnvironmentStandIn({ ...(v as SerializedEnvironment), metadata: metadata as JsonObject });
}
