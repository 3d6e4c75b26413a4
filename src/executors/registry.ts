/**
 * Executor kinds → factories, loaded lazily (one dynamic import per kind), so a local run never loads
 * worker threads or a Redis client. To add a kind, add ONE entry to `loaders` below:
 *
 *   ["workers", async () => (await import("./workers/index.js")).createWorkersExecutor],
 *
 * A factory takes the kind's options (JSON, e.g. from `Executor.describe().options`, config or CLI flags)
 * and returns an Executor; it validates them and throws SluiceError INVALID_OPTION naming the field.
 *
 * Loading this module installs `executorFromKind` as the core's resolver of kind strings, so
 * `flow.run({ executor: "concurrent" })` works wherever the public API ("sluice") is imported.
 */
import { SluiceError } from "../core/errors.js";
import { isExecutor, type Executor, type JsonObject } from "../core/executor.js";
import { Registry } from "../core/registry.js";
import { setExecutorKindResolver } from "../core/resolve-executor.js";

/** Builds an executor of one kind from its options. */
export type ExecutorFactory = (options: JsonObject) => Executor | Promise<Executor>;

const loaders = new Registry<() => Promise<ExecutorFactory>>({ noun: "executor", registerWith: "registerExecutorKind" }, [
  ["local", async () => (await import("./local/index.js")).createLocalExecutor],
  ["concurrent", async () => (await import("./concurrent/index.js")).createConcurrentExecutor],
  ["workers", async () => (await import("./workers/index.js")).createWorkersExecutor],
  ["distributed", async () => (await import("./distributed/index.js")).createDistributedExecutor],
]);

/** Registers a custom kind at run time (built-in kinds are listed in `loaders` above). */
export function registerExecutorKind(kind: string, load: () => Promise<ExecutorFactory>): void {
  loaders.register(kind, load);
}

/** The registered kinds. */
export function executorKinds(): string[] {
  return loaders.kinds();
}

/** Creates an executor of `kind` with `options` (loads its module on first use). */
export async function executorFromKind(kind: string, options: JsonObject = {}): Promise<Executor> {
  const load = loaders.get(kind);
  const factory = await load();
  const executor = await factory(options);
  if (!isExecutor(executor)) {
    throw new SluiceError("EXECUTOR_ERROR", `the factory of executor kind "${kind}" did not return an Executor`, { kind });
  }
  return executor;
}

setExecutorKindResolver((kind) => executorFromKind(kind));
