/**
 * The workers executor: task attempts run in a pool of worker threads (piscina), for CPU-bound tasks.
 * A worker loads the flow module itself (through the same loading path as the CLI and the distributed
 * executor) and runs the task by its key, so a task's input, the parameters and its result are copied
 * between threads: values that cannot be copied end the attempt Failed with NOT_SERIALIZABLE naming the
 * task and the path of the value at fault. Logs come back while the task runs; cancellation aborts the
 * task's signal in its thread, and terminates the thread after a grace period if the task ignores it.
 * A run's pool is kept for the next run for `keepAliveMs` (see pool-cache.ts).
 */
import { SluiceError } from "../../core/errors.js";
import type { Executor, ExecutorSession, ExecutorStartOptions, JsonObject } from "../../core/executor.js";
import { withoutTsxFlags } from "../../core/load.js";
import { FROM_SOURCE, sluicePath } from "../../core/package-root.js";
import { compileWorkersOptions, type CompiledWorkersOptions, type WorkersExecutorOptions } from "./options.js";
import { acquirePool, type PoolShape } from "./pool-cache.js";
import { WorkersSession } from "./workers-session.js";

/** The worker thread's module: dist's worker.js entry when built; from source, bootstrap.mjs (registers tsx, then loads worker.ts). */
function workerFile(): string {
  return FROM_SOURCE ? sluicePath("src", "executors", "workers", "bootstrap.mjs") : sluicePath("dist", "executors", "workers", "worker.js");
}

export class WorkersExecutor implements Executor {
  readonly kind = "workers";
  readonly maxConcurrency: number;
  readonly #options: CompiledWorkersOptions;

  constructor(options: WorkersExecutorOptions = {}) {
    this.#options = compileWorkersOptions(options);
    this.maxConcurrency = this.#options.threads * this.#options.tasksPerThread + this.#options.maxQueue;
  }

  async start(options: ExecutorStartOptions): Promise<ExecutorSession> {
    if (options.locator === null) {
      throw new SluiceError(
        "EXECUTOR_ERROR",
        `workers executor: flow "${options.flow.name}" cannot be loaded in a worker thread because its module is unknown; ` +
          `define the flow in a module file (pass module: import.meta.url to flow() if it is created dynamically), or use the local or concurrent executor`,
        { kind: "workers", flowRunId: options.flowRunId, field: "locator" },
      );
    }
    const o = this.#options;
    const shape: PoolShape = {
      filename: workerFile(),
      threads: o.threads,
      tasksPerThread: o.tasksPerThread,
      maxQueue: o.maxQueue,
      execArgv: withoutTsxFlags(process.execArgv),
    };
    return new WorkersSession(await acquirePool(shape), shape, o, options, options.locator);
  }

  describe(): { kind: string; options: JsonObject } {
    return { kind: this.kind, options: { ...this.#options } };
  }
}
