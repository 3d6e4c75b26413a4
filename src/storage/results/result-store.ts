/**
 * The ResultStore seam: where values too large to travel through a broker (Redis) are kept while a flow
 * run needs them. The distributed executor puts large task results (worker side) and large task inputs
 * (flow-runner side) here and sends a small ResultRef instead; the other side gets the value back by its
 * ref. Everything stored for a flow run lives under one key prefix, deleted when the run ends.
 *
 * Values are opaque text (the caller serializes, e.g. JSON), so a store never needs to understand them.
 */
import { SluiceError } from "../../core/errors.js";

/** A stored value's handle: small, JSON, and enough for any process with access to the store to read it. */
export interface ResultRef {
  /** The store's kind ("local", "s3"), checked when the ref is read. */
  store: string;
  /** The key the value was put under. */
  key: string;
  /** Size of the stored text in bytes (UTF-8). */
  bytes: number;
}

/**
 * Where a store is, as JSON without secrets: what an executor tells its workers so they open the same
 * store with their own credentials.
 */
export type ResultStoreLocation =
  { kind: "local"; dir: string } | { kind: "s3"; bucket: string; prefix: string; endpoint: string | null; region: string; forcePathStyle: boolean };

export interface ResultStore {
  /** "local", "s3", or a custom kind. */
  readonly kind: string;
  /** Stores `data` under `key` (overwriting) and returns its ref. */
  put(key: string, data: string): Promise<ResultRef>;
  /** The text stored for `ref`; STORAGE_ERROR naming the key when it is missing. */
  get(ref: ResultRef): Promise<string>;
  /** Deletes every value whose key starts with `prefix` (nothing to delete is not an error). */
  delete(prefix: string): Promise<void>;
  /** Where this store is, for another process to open it (never secrets). */
  location(): ResultStoreLocation;
}

/** True for objects that implement ResultStore. */
export function isResultStore(value: unknown): value is ResultStore {
  const v = value as ResultStore | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.kind === "string" &&
    typeof v.put === "function" &&
    typeof v.get === "function" &&
    typeof v.delete === "function" &&
    typeof v.location === "function"
  );
}

/** True for a well-formed ResultRef (from JSON that crossed a process boundary). */
export function isResultRef(value: unknown): value is ResultRef {
  const v = value as ResultRef | null;
  return typeof v === "object" && v !== null && typeof v.store === "string" && typeof v.key === "string" && typeof v.bytes === "number";
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*\/?$/;

/**
 * Checks a key or prefix: segments of letters, digits, `.`, `_`, `-` separated by `/`, no segment starting
 * with a dot (so no `..`), not absolute. The same key means the same thing in every store.
 */
export function checkKey(key: string, what: "key" | "prefix", kind: string): void {
  if (typeof key !== "string" || !KEY.test(key) || key.length > 512) {
    throw new SluiceError(
      "INVALID_INPUT",
      `result store (${kind}): ${what} ${JSON.stringify(key)} is not valid; use segments of letters, digits, ".", "_" and "-" separated by "/", at most 512 characters`,
      { field: what, value: key, kind },
    );
  }
}

/** A ref of another kind of store: an error naming both kinds. */
export function checkRefKind(ref: ResultRef, kind: string): void {
  if (!isResultRef(ref) || ref.store !== kind) {
    throw new SluiceError(
      "STORAGE_ERROR",
      `result store (${kind}) was asked for a value stored in a ${isResultRef(ref) ? `"${ref.store}"` : "malformed"} ref; the executor and its workers must use the same result store`,
      { field: "ref", kind },
    );
  }
}
