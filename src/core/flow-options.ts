/**
 * Options of `flow(name, options, body)`. The options of `flow.run(options)` and the result of a run are in
 * run-options.ts (re-exported here), which does not depend on the Environment and Storage contracts.
 */
import type { Environment } from "./environment.js";
import type { ParametersSchema } from "./graph.js";
import type { ExecutorSpec } from "./run-options.js";
import type { Storage } from "./storage.js";

export type { ExecutorSpec, FlowRunOptions, FlowRunResult, ResumedTaskRun, TaskRunSummary } from "./run-options.js";

/** WHERE a flow run's process runs: an Environment (src/core/environment.ts). */
export type FlowEnvironment = Environment;

/** WHERE a flow's code lives for other machines: a Storage (src/core/storage.ts). */
export type FlowStorage = Storage;

export interface FlowOptions<S extends ParametersSchema = ParametersSchema> {
  /** The flow's parameters as a zod object (defaults included); validated before anything runs. @default z.object({}) */
  parameters?: S;
  /** The executor of this flow's runs, when the run does not name one. @default the run's, else "local" */
  executor?: ExecutorSpec;
  /** Where deployed runs of this flow run. @default undefined (the deployer's default) */
  environment?: FlowEnvironment;
  /** Where the flow's code lives for other machines. @default undefined */
  storage?: FlowStorage;
  /** Keys of the tasks whose runs decide the flow run's final state. @default the terminal tasks (no downstream) */
  referenceTasks?: readonly string[];
  /** What the flow does, for humans. @default undefined */
  description?: string;
  /**
   * The defining module (`import.meta.url`), so worker threads and other processes can import the flow.
   * @default the file that called flow(), read from the call stack
   */
  module?: string;
}
