/**
 * `flow(name, options, body)`: a named DAG of tasks with typed parameters. The body runs once, at
 * definition time, with a ref per parameter; the task calls inside it build the graph. Flows can also be
 * built imperatively (`addTask`, `setUpstream`, `bind`) into the same kind of graph. With a body:
 *
 * ```ts
 * export const etl = flow("etl", { parameters: z.object({ n: z.number().default(3) }) }, (p) => {
 *   const xs = extract(p.n);
 *   const ys = transform.map(xs);
 *   return load(ys);
 * });
 * const result = await etl.run({ parameters: { n: 5 }, executor: "concurrent" });
 * result.state.name; // "Success" | "Failed" | "Cancelled"
 * ```
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { withBuilder } from "./build-context.js";
import { defaultCacheStore } from "./cache.js";
import { SluiceError, serializeError, showValue } from "./errors.js";
import type { LogRecord } from "./events.js";
import { isExecutor, type FlowLocator, type JsonObject, type RunnableFlow, type TaskAttemptOutcome, type TaskRunRequest } from "./executor.js";
import type { FlowEnvironment, FlowOptions, FlowStorage } from "./flow-options.js";
import { FlowGraph, type NodeSelector, type ParametersSchema } from "./graph.js";
import { compilePlan, describeTasks, type GraphPlan, type TaskDescription } from "./graph-plan.js";
import { createLogger } from "./logger.js";
import { callerModule } from "./module-locator.js";
import { parametersJsonSchema, validateParameters } from "./parameters.js";
import type { ParameterRefs, Ref } from "./ref.js";
import { resolveExecutor } from "./resolve-executor.js";
import type { ExecutorSpec, FlowRunOptions, FlowRunResult } from "./run-options.js";
import { FlowRunner } from "./runner/flow-runner.js";
import { runAttempt } from "./task-attempt.js";
import type { AnyTask } from "./task.js";

const FLOW: unique symbol = Symbol.for("sluice.flow");

/** A flow as `sluice flows` and the server show it. */
export interface FlowDescription {
  name: string;
  description?: string;
  /** The defining module (file: URL), when known. */
  module?: string;
  /** JSON schema of the parameters a run accepts. */
  parameters: JsonObject;
  tasks: TaskDescription[];
  /** Keys of the tasks whose runs decide the final state. */
  referenceTasks: string[];
}

/** Arguments of `flow.run()`: the options object is required when the flow has required parameters. */
export type RunArgs<PIn> = Record<string, never> extends PIn ? [options?: FlowRunOptions<PIn>] : [options: FlowRunOptions<PIn> & { parameters: PIn }];

const OPTION_KEYS = new Set(["parameters", "executor", "environment", "storage", "referenceTasks", "description", "module"]);

function checkFlowOptions(name: string, options: FlowOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new SluiceError("INVALID_OPTION", `flow "${name}": options are ${showValue(options)}; pass an object`, { field: "options" });
  }
  const bad = (field: string, expected: string): SluiceError =>
    new SluiceError("INVALID_OPTION", `flow "${name}": option ${field} is ${showValue((options as Record<string, unknown>)[field])}; ${expected}`, {
      field,
      value: (options as Record<string, unknown>)[field],
    });
  for (const key of Object.keys(options)) if (!OPTION_KEYS.has(key)) throw bad(key, `unknown option; known options: ${[...OPTION_KEYS].join(", ")}`);
  const p = options.parameters as { shape?: unknown; extend?: unknown } | undefined;
  if (p !== undefined && (typeof p?.shape !== "object" || typeof p.extend !== "function"))
    throw bad("parameters", "use a zod object, e.g. z.object({ n: z.number().default(3) })");
  if (options.executor !== undefined && typeof options.executor !== "string" && !isExecutor(options.executor)) {
    throw bad("executor", 'use an Executor object or a kind such as "local" or "concurrent"');
  }
  if (options.referenceTasks !== undefined && (!Array.isArray(options.referenceTasks) || options.referenceTasks.some((k) => typeof k !== "string"))) {
    throw bad("referenceTasks", "use a list of task keys");
  }
  if (options.description !== undefined && typeof options.description !== "string") throw bad("description", "use a string");
  if (options.module !== undefined && (typeof options.module !== "string" || options.module.length === 0)) throw bad("module", "use import.meta.url");
}

export class Flow<P = Record<string, unknown>, PIn = P, R = void> implements RunnableFlow {
  readonly [FLOW] = true as const;
  readonly name: string;
  readonly description: string | undefined;
  /** The default executor of this flow's runs. */
  readonly executor: ExecutorSpec | undefined;
  readonly environment: FlowEnvironment | undefined;
  readonly storage: FlowStorage | undefined;
  /** The defining module (file: URL), or null when it could not be found. */
  readonly module: string | null;
  readonly #graph: FlowGraph;
  #referenceKeys: string[] | undefined;
  #returned: unknown = undefined;
  #plan: { version: number; references: string; plan: GraphPlan } | undefined;

  /**
   * Creates a flow. Prefer `flow(name, options, body)`; `new Flow(name, options)` builds an empty flow
   * for the imperative API.
   */
  constructor(name: string, options: FlowOptions = {}, body?: (params: Record<string, Ref>) => unknown) {
    if (typeof name !== "string" || name.trim().length === 0) {
      throw new SluiceError("INVALID_OPTION", `flow name is ${showValue(name)}; give the flow a non-empty name`, { field: "name", value: name });
    }
    checkFlowOptions(name, options);
    this.name = name;
    this.description = options.description;
    this.executor = options.executor;
    this.environment = options.environment;
    this.storage = options.storage;
    this.module = options.module ?? callerModule();
    this.#referenceKeys = options.referenceTasks ? [...options.referenceTasks] : undefined;
    this.#graph = new FlowGraph(name, options.parameters);
    if (body !== undefined) {
      if (typeof body !== "function")
        throw new SluiceError("INVALID_OPTION", `flow "${name}": the body is ${showValue(body)}; pass a function (params) => { ... }`, { field: "body" });
      const returned = withBuilder(this.#graph, () => body(this.#graph.parameterRefs()));
      if (returned && typeof (returned as { then?: unknown }).then === "function") {
        throw new SluiceError(
          "GRAPH_INVALID",
          `flow "${name}": the body returned a promise; a flow body must be synchronous (it only wires tasks; they run later)`,
          {
            field: "body",
          },
        );
      }
      this.#returned = returned;
    }
    if (this.module) {
      const siblings = constructedByModule.get(this.module) ?? new Set<AnyFlowLike>();
      siblings.add(this);
      constructedByModule.set(this.module, siblings);
    }
  }

  /** The parameter schema (zod object). */
  get parameters(): ParametersSchema {
    return this.#graph.parameters;
  }

  /**
   * Validates parameters for a run of this flow and returns them parsed (defaults applied); unknown and
   * invalid ones are one INVALID_PARAMETER error naming every field at fault.
   */
  validateParameters(raw: unknown): Record<string, unknown> {
    return validateParameters(this.name, this.#graph.declaredParameters, raw);
  }

  /** JSON schema of the parameters a run accepts. */
  parametersJsonSchema(): JsonObject {
    return parametersJsonSchema(this.#graph.parameters);
  }

  /** How other threads and processes import this flow; null when its module is unknown. */
  get locator(): FlowLocator | null {
    return this.module ? { module: this.module, flowName: this.name } : null;
  }

  /** Node keys in definition order. */
  taskKeys(): string[] {
    return this.#graph.nodes.map((n) => n.key);
  }

  /** Validates the graph (cycles, reference tasks); throws GRAPH_INVALID naming the tasks at fault. */
  validate(): void {
    this.#compiled();
  }

  /** The flow's parameters and task graph as JSON (validates the graph). */
  describe(): FlowDescription {
    const plan = this.#compiled();
    const d: FlowDescription = {
      name: this.name,
      parameters: this.parametersJsonSchema(),
      tasks: describeTasks(plan),
      referenceTasks: plan.reference.map((i) => plan.nodes[i]!.key),
    };
    if (this.description !== undefined) d.description = this.description;
    if (this.module) d.module = this.module;
    return d;
  }

  #compiled(): GraphPlan {
    const references = this.#referenceKeys?.join("\u0000") ?? "";
    const cached = this.#plan;
    if (cached && cached.version === this.#graph.version && cached.references === references) return cached.plan;
    const plan = compilePlan(this.#graph, this.#referenceKeys);
    this.#plan = { version: this.#graph.version, references, plan };
    return plan;
  }

  // ---- imperative API: build the graph node by node instead of with a body --------------------------

  /** Adds a task to the flow (once; a second call returns the same node's ref). */
  addTask(task: AnyTask): Ref {
    return this.#graph.addTask(task);
  }

  /** `task` runs after `upstream` (state dependency; the trigger sees its state). Adds either task if missing. */
  setUpstream(task: NodeSelector, upstream: NodeSelector): this {
    this.#graph.setUpstream(task, upstream);
    return this;
  }

  /** The inverse of setUpstream: `downstream` runs after `task`. */
  setDownstream(task: NodeSelector, downstream: NodeSelector): this {
    this.#graph.setUpstream(downstream, task);
    return this;
  }

  /**
   * Binds arguments of `task` by name: `flow.bind(outputValue, { value: getValue })`. Values may be plain
   * values, refs or tasks (their result). Unknown argument names are GRAPH_INVALID naming the allowed ones.
   * With `{ mapped: true }` the task maps over every field not wrapped in `unmapped()`.
   */
  bind(task: NodeSelector, args: Record<string, unknown>, options?: { mapped?: boolean }): this {
    this.#graph.bind(task, args, options);
    return this;
  }

  /** Declares a parameter (imperative API) and returns a ref to its value, e.g. for `bind`. */
  parameter<T>(name: string, schema: z.ZodType<T>): Ref<T> {
    return this.#graph.addParameter(name, schema);
  }

  /** The tasks whose runs decide the flow run's final state (default: the terminal tasks). */
  setReferenceTasks(...nodes: NodeSelector[]): this {
    this.#referenceKeys = nodes.map((n) => this.#graph.select(n, false, "reference task").key);
    return this;
  }

  // ---- running ---------------------------------------------------------------------------------

  /**
   * Runs the flow in this process with an executor. Resolves with the final flow state and every task
   * run's state; task failures do not throw (the state says Failed). Throws SluiceError for bad input:
   * an invalid graph (GRAPH_INVALID), invalid parameters (INVALID_PARAMETER) or options (INVALID_OPTION),
   * or an executor that cannot start (EXECUTOR_ERROR).
   */
  async run(...args: RunArgs<PIn>): Promise<FlowRunResult<R>> {
    const options: FlowRunOptions<PIn> = args[0] ?? {};
    const plan = this.#compiled();
    const parameters = this.validateParameters(options.parameters);
    const cancelGraceMs = options.cancelGraceMs ?? 2000;
    if (typeof cancelGraceMs !== "number" || !(cancelGraceMs >= 0)) {
      throw new SluiceError("INVALID_OPTION", `run option cancelGraceMs is ${showValue(cancelGraceMs)}; use a number of ms ≥ 0`, { field: "cancelGraceMs" });
    }
    const observers = options.observers ?? [];
    if (!Array.isArray(observers) || observers.some((o) => typeof o !== "function")) {
      throw new SluiceError("INVALID_OPTION", "run option observers must be a list of functions (event) => void", { field: "observers" });
    }
    if (options.flowRunId !== undefined && (typeof options.flowRunId !== "string" || options.flowRunId.length === 0)) {
      throw new SluiceError("INVALID_OPTION", `run option flowRunId is ${showValue(options.flowRunId)}; use a non-empty string`, { field: "flowRunId" });
    }
    const executor = await resolveExecutor(options.executor ?? this.executor ?? "local");
    const logger = options.logger ?? createLogger({ level: options.logLevel ?? "info" });
    const runner = new FlowRunner({
      flow: this,
      plan,
      parameters,
      executor,
      returned: this.#returned,
      flowRunId: options.flowRunId ?? randomUUID(),
      observers,
      logger,
      logLevel: options.logLevel ?? (logger.level as "info"),
      cacheStore: options.cacheStore ?? defaultCacheStore,
      cancelGraceMs,
      signal: options.signal,
      taskRunIdFor: options.taskRunIdFor,
      resume: options.resume,
    });
    return runner.run<R>();
  }

  /**
   * RunnableFlow: runs one attempt of the task at `request.taskKey` in this process. Used by every
   * executor (in this process, in worker threads, in distributed workers). Never throws.
   */
  runTaskAttempt(request: TaskRunRequest, signal: AbortSignal, onLog: (record: LogRecord) => void): Promise<TaskAttemptOutcome> {
    const node = this.#graph.node(request.taskKey);
    if (!node) {
      const error = new SluiceError(
        "GRAPH_INVALID",
        `flow "${this.name}" has no task "${request.taskKey}" in this process (its keys: ${this.taskKeys().join(", ") || "none"}); ` +
          "the flow's module must build the same graph in every process",
        { field: request.taskKey, taskRunId: request.taskRunId, flowRunId: request.flowRunId },
      );
      return Promise.resolve({ kind: "failed", error: serializeError(error), noRetry: true });
    }
    return runAttempt(node.task, request, signal, onLog);
  }
}

/** A flow of any parameter and result types. */
export type AnyFlow = Flow<unknown, unknown, unknown>;

/** True for flows made by any copy of Sluice loaded in this process. */
export function isFlow(value: unknown): value is AnyFlow {
  return typeof value === "object" && value !== null && (value as { [FLOW]?: unknown })[FLOW] === true;
}

/** Defines a flow from a body without parameters. */
/** A flow of any parameter and result types, as the registry of constructed flows holds it. */
type AnyFlowLike = Flow<unknown, unknown, unknown>;

/**
 * Every flow constructed in this process, by defining module. Importing a module constructs all of its
 * flows again, wherever it is imported: an image that bundles the module must hold what each of them reads
 * at construction (its environment's imageFiles), not only what the flows chosen for the image read.
 */
const constructedByModule = new Map<string, Set<AnyFlowLike>>();

/** The flows constructed so far whose defining module is `module` (as recorded in `flow.module`), in construction order. */
export function flowsConstructedIn(module: string): AnyFlowLike[] {
  return [...(constructedByModule.get(module) ?? [])];
}

export function flow<R>(name: string, body: () => R): Flow<Record<string, never>, Record<string, never>, R>;
/** Defines a flow from options and a body receiving a ref per parameter. */
export function flow<S extends ParametersSchema = z.ZodObject<Record<string, never>>, R = void>(
  name: string,
  options: FlowOptions<S>,
  body: (params: ParameterRefs<z.output<S>>) => R,
): Flow<z.output<S>, z.input<S>, R>;
/** Defines an empty flow for the imperative API (addTask, setUpstream, bind). */
export function flow(name: string, options?: FlowOptions): Flow;
export function flow(name: string, a?: FlowOptions | (() => unknown), b?: (params: never) => unknown): Flow<unknown, unknown, unknown> {
  if (typeof a === "function") return new Flow(name, {}, a as (params: Record<string, Ref>) => unknown);
  return new Flow(name, a ?? {}, b as ((params: Record<string, Ref>) => unknown) | undefined);
}
