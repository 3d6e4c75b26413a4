/**
 * The executor a cluster's flow run uses: the distributed executor on the cluster's broker, plus one
 * rule. Once the cluster has failed (its workers cannot start or keep ending), every attempt waiting for
 * a worker, and every later one, ends Failed with the cluster's reason (not retried: no worker would
 * take it), so the run fails with that reason instead of waiting forever.
 */
import { serializeError, type SluiceError } from "../../../core/errors.js";
import type { Executor, ExecutorSession, ExecutorStartOptions, JsonObject, TaskAttemptOutcome } from "../../../core/executor.js";

export class ClusterExecutor implements Executor {
  readonly kind: string;
  readonly maxConcurrency: number;
  readonly #inner: Executor;
  readonly #failure: Promise<TaskAttemptOutcome>;

  /** `failure` resolves with the cluster's reason when it fails (and never otherwise). */
  constructor(inner: Executor, failure: Promise<SluiceError>) {
    this.#inner = inner;
    this.kind = inner.kind;
    this.maxConcurrency = inner.maxConcurrency;
    this.#failure = failure.then((error) => ({ kind: "failed", error: serializeError(error), noRetry: true }));
  }

  async start(options: ExecutorStartOptions): Promise<ExecutorSession> {
    const session = await this.#inner.start(options);
    return {
      submit: (request, signal) => Promise.race([session.submit(request, signal), this.#failure]),
      close: () => session.close(),
    };
  }

  describe(): { kind: string; options: JsonObject } {
    return this.#inner.describe();
  }
}
