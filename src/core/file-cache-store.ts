/**
 * A cache store on disk: one JSON file per key under a directory (by default the config's cache dir,
 * `<home>/cache`), so repeated processes (`sluice run`) reuse results. Values must be JSON-serializable.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createHash, randomUUID } from "node:crypto";
import { join } from "node:path";
import type { CacheEntry, CacheStore } from "./cache.js";
import { SluiceError } from "./errors.js";

interface StoredEntry extends CacheEntry {
  key: string;
}

export class FileCacheStore implements CacheStore {
  /** The directory holding the entries; created on first write. */
  readonly dir: string;

  constructor(dir: string) {
    if (typeof dir !== "string" || dir.length === 0) {
      throw new SluiceError("INVALID_OPTION", `FileCacheStore needs a directory path, got ${JSON.stringify(dir)}`, { field: "dir", value: dir });
    }
    this.dir = dir;
  }

  #path(key: string): string {
    return join(this.dir, `${createHash("sha256").update(key).digest("hex")}.json`);
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new SluiceError("STORAGE_ERROR", `cannot read cache entry ${key} in ${this.dir}: ${(error as Error).message}`, { cause: error });
    }
    let stored: StoredEntry;
    try {
      stored = JSON.parse(text) as StoredEntry;
    } catch {
      return undefined; // a torn or foreign file: treat as a miss; the next set() replaces it
    }
    if (stored.key !== key) return undefined;
    if (stored.expiresAt !== null && stored.expiresAt <= Date.now()) {
      await this.delete(key);
      return undefined;
    }
    return { value: stored.value, createdAt: stored.createdAt, expiresAt: stored.expiresAt };
  }

  async set(key: string, entry: CacheEntry): Promise<void> {
    let text: string;
    try {
      text = JSON.stringify({ key, ...entry } satisfies StoredEntry);
    } catch (error) {
      throw new SluiceError("NOT_SERIALIZABLE", `the result cached under ${key} is not JSON-serializable: ${(error as Error).message}`, { cause: error });
    }
    await mkdir(this.dir, { recursive: true });
    const path = this.#path(key);
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, text, "utf8");
    await rename(tmp, path); // atomic: readers never see half a file
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}
