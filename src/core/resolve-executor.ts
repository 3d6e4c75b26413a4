/**
 * Turns an executor spec (an Executor object or a registry kind) into an Executor.
 *
 * The core does not import executors (dependency direction: executors import core). Kinds are resolved
 * by the executor registry (src/executors/registry.ts), which installs itself here when it is loaded;
 * the package entry ("sluice", src/index.ts) loads it, so every user of the public API can name kinds.
 */
import { SluiceError, showValue } from "./errors.js";
import { isExecutor, type Executor } from "./executor.js";
import type { ExecutorSpec } from "./run-options.js";

/** Creates an executor of a registered kind. */
export type ExecutorKindResolver = (kind: string) => Promise<Executor>;

let kindResolver: ExecutorKindResolver | undefined;

/** Installs the resolver of kind strings (called by src/executors/registry.ts when it loads). */
export function setExecutorKindResolver(resolver: ExecutorKindResolver): void {
  kindResolver = resolver;
}

export async function resolveExecutor(spec: ExecutorSpec, field = "executor"): Promise<Executor> {
  if (isExecutor(spec)) return spec;
  if (typeof spec === "string") {
    if (!kindResolver) {
      throw new SluiceError(
        "EXECUTOR_ERROR",
        `executor kind "${spec}" cannot be resolved: the executor registry is not loaded. Import from "sluice" (it loads the registry) or pass an Executor object.`,
        { field, value: spec, kind: spec },
      );
    }
    return kindResolver(spec);
  }
  throw new SluiceError("INVALID_OPTION", `${field} is ${showValue(spec)}; pass an Executor object or a kind such as "local" or "concurrent"`, {
    field,
    value: spec,
  });
}
