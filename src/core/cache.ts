/**
 * Task result caching. A task with `cache: { key, ttlMs }` looks its key up before running; on a hit
 * (an entry younger than its TTL) the task run ends Success with `cached: true` and the task is not called;
 * on a miss the task runs and a successful result is stored under the key.
 *
 * Keys are namespaced by task name: two tasks with the same key function never share entries.
 * The default store keeps entries in memory for the life of the process; `FileCacheStore`
 * (file-cache-store.ts) keeps them on disk so repeated `sluice run`s reuse them.
 */
import { createHash } from "node:crypto";

/** One cached result. */
export interface CacheEntry {
  /** The task's result. */
  value: unknown;
  /** When the entry was stored (epoch ms). */
  createdAt: number;
  /** When the entry expires (epoch ms); null: never. */
  expiresAt: number | null;
}

/** Where cached results live. Implementations may be synchronous or asynchronous. */
export interface CacheStore {
  /** The entry stored under `key`, or undefined. Expired entries may be returned; the runner checks `expiresAt`. */
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /** Stores an entry (replacing any). May throw (e.g. NOT_SERIALIZABLE); the runner then logs a warning and carries on. */
  set(key: string, entry: CacheEntry): void | Promise<void>;
  /** Removes an entry, if present. */
  delete(key: string): void | Promise<void>;
}

/** What a cache key function receives besides the task's input. */
export interface CacheKeyContext {
  flowName: string;
  taskName: string;
  taskKey: string;
  mapIndex: number | null;
  parameters: Readonly<Record<string, unknown>>;
}

/** A store in memory. Entries are dropped when read after they expired. */
export class MemoryCacheStore implements CacheStore {
  readonly #entries = new Map<string, CacheEntry>();

  get(key: string): CacheEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: CacheEntry): void {
    this.#entries.set(key, entry);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The process-wide store used when neither the task nor the run names one. */
export const defaultCacheStore = new MemoryCacheStore();

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
function stableJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (v && typeof v === "object" && !Array.isArray(v)) {
        const sorted: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
        return sorted;
      }
      return v;
    }) ?? "undefined"
  );
}

/** The default cache key: a SHA-256 of the input's JSON (object keys sorted). */
export function inputCacheKey(input: unknown): string {
  return createHash("sha256").update(stableJson(input)).digest("hex");
}

/** The key under which a task's entry is stored: `<task name>:<key>`. */
export const namespacedCacheKey = (taskName: string, key: string): string => `${taskName}:${key}`;
