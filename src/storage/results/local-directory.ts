/**
 * A result store in a directory: one file per key (key segments become subdirectories). The default of
 * the distributed executor for workers on the same machine; for workers elsewhere the directory must be
 * shared (a mounted volume) at the same path, else use an S3-compatible store.
 *
 * Writes go to a temporary file renamed into place, so a reader never sees half a value.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError, showValue } from "../../core/errors.js";
import { checkKey, checkRefKind, type ResultRef, type ResultStore, type ResultStoreLocation } from "./result-store.js";

export interface LocalDirectoryResultStoreOptions {
  /** The directory (absolute path or file: URL; created on first put). @default none: required */
  dir: string;
}

export class LocalDirectoryResultStore implements ResultStore {
  readonly kind = "local";
  readonly dir: string;

  constructor(options: LocalDirectoryResultStoreOptions) {
    const raw = (options as Partial<LocalDirectoryResultStoreOptions> | undefined)?.dir;
    if (typeof raw !== "string" || raw.trim() === "") {
      throw new SluiceError("INVALID_OPTION", `LocalDirectoryResultStore option dir is ${showValue(raw)}; give an absolute directory path`, {
        field: "dir",
        value: raw,
        kind: "local",
      });
    }
    const path = raw.startsWith("file:") ? fileURLToPath(raw) : raw;
    if (!isAbsolute(path)) {
      throw new SluiceError(
        "INVALID_OPTION",
        `LocalDirectoryResultStore option dir is ${showValue(raw)}; give an absolute path (workers resolve it on their own machine)`,
        {
          field: "dir",
          value: raw,
          kind: "local",
        },
      );
    }
    this.dir = resolve(path);
  }

  #path(key: string): string {
    return join(this.dir, ...key.split("/").filter((s) => s !== ""));
  }

  async put(key: string, data: string): Promise<ResultRef> {
    checkKey(key, "key", this.kind);
    const path = this.#path(key);
    const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temp, data, "utf8");
      await rename(temp, path);
    } catch (cause) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new SluiceError("STORAGE_ERROR", `result store (local): cannot write ${path}: ${(cause as Error).message}; check that ${this.dir} is writable`, {
        field: "dir",
        value: this.dir,
        kind: this.kind,
        cause,
      });
    }
    return { store: this.kind, key, bytes: Buffer.byteLength(data, "utf8") };
  }

  async get(ref: ResultRef): Promise<string> {
    checkRefKind(ref, this.kind);
    checkKey(ref.key, "key", this.kind);
    const path = this.#path(ref.key);
    try {
      return await readFile(path, "utf8");
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
      throw new SluiceError(
        "STORAGE_ERROR",
        missing
          ? `result store (local): ${path} does not exist; the directory ${this.dir} must be shared by the executor and every worker, at the same path (or use an s3:// result store)`
          : `result store (local): cannot read ${path}: ${(cause as Error).message}`,
        { field: "key", value: ref.key, kind: this.kind, cause },
      );
    }
  }

  async delete(prefix: string): Promise<void> {
    checkKey(prefix, "prefix", this.kind);
    const path = this.#path(prefix);
    if (prefix.endsWith("/")) {
      await rm(path, { recursive: true, force: true });
      return;
    }
    const parent = dirname(path);
    const start = path.slice(parent.length + 1);
    let names: string[];
    try {
      names = await readdir(parent);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "ENOENT") return;
      throw cause;
    }
    await Promise.all(names.filter((n) => n.startsWith(start)).map((n) => rm(join(parent, n), { recursive: true, force: true })));
  }

  location(): ResultStoreLocation {
    return { kind: "local", dir: this.dir };
  }
}
