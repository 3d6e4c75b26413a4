/**
 * The runner's side of task caching: the key of a run's input, the lookup before the first attempt and
 * the write after a success. Cache errors never fail a task run: they are logged and the task runs.
 */
import { namespacedCacheKey, type CacheStore } from "../cache.js";
import type { TaskRunRecord } from "./records.js";
import type { RunEvents } from "./run-events.js";

export class RunCache {
  readonly #writes = new Set<Promise<void>>();

  constructor(
    private readonly flowName: string,
    private readonly parameters: Readonly<Record<string, unknown>>,
    private readonly defaultStore: CacheStore,
    private readonly events: RunEvents,
  ) {}

  #keyOf(record: TaskRunRecord, input: unknown): { store: CacheStore; key: string } {
    const nr = record.nodeRun;
    const cache = nr.task.options.cache!;
    const key = cache.key(input, { flowName: this.flowName, taskName: nr.task.name, taskKey: nr.key, mapIndex: record.mapIndex, parameters: this.parameters });
    return { store: cache.store ?? this.defaultStore, key: namespacedCacheKey(nr.task.name, key) };
  }

  /** A fresh entry for the run's input, or undefined (a miss, or a broken store: logged). */
  async lookup(record: TaskRunRecord, input: unknown): Promise<{ value: unknown } | undefined> {
    try {
      const { store, key } = this.#keyOf(record, input);
      const entry = await store.get(key);
      return entry && (entry.expiresAt === null || entry.expiresAt > Date.now()) ? entry : undefined;
    } catch (error) {
      this.events.warn({ taskRunId: record.id, err: error }, `cache lookup of task ${record.nodeRun.key} failed; running it`);
      return undefined;
    }
  }

  /** Stores a successful result in the background (see `flush`). */
  store(record: TaskRunRecord, input: unknown, result: unknown): void {
    const ttlMs = record.nodeRun.task.options.cache!.ttlMs;
    const write = (async () => {
      const { store, key } = this.#keyOf(record, input);
      const createdAt = Date.now();
      await store.set(key, { value: result, createdAt, expiresAt: Number.isFinite(ttlMs) ? createdAt + ttlMs : null });
    })().catch((error: unknown) => {
      this.events.warn({ taskRunId: record.id, err: error }, `caching the result of task ${record.nodeRun.key} failed`);
    });
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  /** Resolves once every pending write has ended, so the next run sees them. */
  async flush(): Promise<void> {
    if (this.#writes.size > 0) await Promise.all(this.#writes);
  }
}
