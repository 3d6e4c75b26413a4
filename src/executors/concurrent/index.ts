/**
 * The concurrent executor: up to `maxConcurrency` task attempts in flight at once, in this process (async
 * concurrency on one event loop: good for I/O-bound tasks; CPU-bound tasks want the workers executor).
 */
import { SluiceError, showValue } from "../../core/errors.js";
import type { Executor, ExecutorSession, ExecutorStartOptions, JsonObject } from "../../core/executor.js";
import { InProcessSession } from "../local/in-process-session.js";

export interface ConcurrentExecutorOptions {
  /** How many task attempts may run at once. @default 16 */
  maxConcurrency?: number;
}

export class ConcurrentExecutor implements Executor {
  readonly kind = "concurrent";
  readonly maxConcurrency: number;

  constructor(options: ConcurrentExecutorOptions = {}) {
    const max = options.maxConcurrency ?? 16;
    if (typeof max !== "number" || !Number.isInteger(max) || max < 1) {
      throw new SluiceError("INVALID_OPTION", `ConcurrentExecutor option maxConcurrency is ${showValue(max)}; use a whole number ≥ 1`, {
        field: "maxConcurrency",
        value: max,
        kind: "concurrent",
      });
    }
    this.maxConcurrency = max;
  }

  start(options: ExecutorStartOptions): Promise<ExecutorSession> {
    return Promise.resolve(new InProcessSession(options.flow, options.onLog));
  }

  describe(): { kind: string; options: JsonObject } {
    return { kind: this.kind, options: { maxConcurrency: this.maxConcurrency } };
  }
}

/** Registry factory. */
export function createConcurrentExecutor(options: ConcurrentExecutorOptions = {}): ConcurrentExecutor {
  return new ConcurrentExecutor(options);
}
