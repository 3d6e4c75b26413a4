/**
 * The local executor: one task attempt at a time, in this process, in a deterministic order (ready tasks
 * start in definition order, then map index). The default executor; the easiest to debug.
 */
import type { Executor, ExecutorSession, ExecutorStartOptions, JsonObject } from "../../core/executor.js";
import { InProcessSession } from "./in-process-session.js";

export class LocalExecutor implements Executor {
  readonly kind = "local";
  readonly maxConcurrency = 1;

  start(options: ExecutorStartOptions): Promise<ExecutorSession> {
    return Promise.resolve(new InProcessSession(options.flow, options.onLog));
  }

  describe(): { kind: string; options: JsonObject } {
    return { kind: this.kind, options: {} };
  }
}

/** Registry factory: the local executor takes no options. */
export function createLocalExecutor(): LocalExecutor {
  return new LocalExecutor();
}
