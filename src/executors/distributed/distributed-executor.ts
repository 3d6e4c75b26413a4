/**
 * The distributed executor: each task attempt of a flow run becomes a BullMQ job on the run's own queue
 * in Redis; `sluice worker` processes (local processes, pods, ECS tasks) load the flow module through
 * the shared loading path and run the task by its key. Retries, triggers, mapping and caching stay in
 * the flow runner, exactly as with the local executors; a job is one attempt.
 *
 * The session (and with it bullmq and ioredis) is loaded when a run starts, so the public entry can export
 * this class: importing it loads the option checks only.
 */
import { SluiceError } from "../../core/errors.js";
import type { Executor, ExecutorSession, ExecutorStartOptions, JsonObject } from "../../core/executor.js";
import { compileDistributedOptions, type CompiledDistributedOptions, type DistributedExecutorOptions } from "./options.js";

export class DistributedExecutor implements Executor {
  readonly kind = "distributed";
  readonly maxConcurrency: number;
  readonly #options: CompiledDistributedOptions;

  constructor(options: DistributedExecutorOptions) {
    this.#options = compileDistributedOptions(options);
    this.maxConcurrency = this.#options.maxInFlight;
  }

  async start(options: ExecutorStartOptions): Promise<ExecutorSession> {
    if (options.locator === null) {
      throw new SluiceError(
        "EXECUTOR_ERROR",
        `distributed executor: flow "${options.flow.name}" cannot be loaded by workers because its module is unknown; ` +
          "define the flow in a module file (pass module: import.meta.url to flow() if it is created dynamically), or use the local or concurrent executor",
        { kind: this.kind, flowRunId: options.flowRunId, field: "locator" },
      );
    }
    const { DistributedSession } = await import("./session.js");
    return DistributedSession.open(this.#options, options, options.locator);
  }

  /** Kind and options as JSON, without secrets (the Redis password is never included). */
  describe(): { kind: string; options: JsonObject } {
    const o = this.#options;
    return {
      kind: this.kind,
      options: {
        redis: o.redis.display,
        queuePrefix: o.queuePrefix,
        workStealing: o.workStealing,
        taskTimeoutMs: o.taskTimeoutMs,
        resultStore: o.resultStore.location() as unknown as JsonObject,
        resultThresholdBytes: o.resultThresholdBytes,
        maxInFlight: o.maxInFlight,
        lockDurationMs: o.lockDurationMs,
        stalledIntervalMs: o.stalledIntervalMs,
        maxStalledCount: o.maxStalledCount,
      },
    };
  }
}
