/**
 * Storage kinds: a kind string → its serialized type and a lazy loader of its class. Creating a storage
 * from JSON options validates them in the class (errors name the field); deserializing picks the class
 * by the serialized `type`. To add a kind, add ONE entry to `kinds` below.
 */
import { SluiceError, showValue } from "../core/errors.js";
import type { JsonObject } from "../core/executor.js";
import { Registry } from "../core/registry.js";
import type { SerializedStorage, Storage } from "../core/storage.js";

/** A storage class as the registry loads it. */
export interface StorageClass {
  new (options: never): Storage;
  fromSerialized(serialized: SerializedStorage): Storage;
}

export interface StorageKind {
  /** The serialized type, e.g. "DockerStorage". */
  type: string;
  /** Loads the class (one dynamic import). */
  load: () => Promise<StorageClass>;
}

const kinds = new Registry<StorageKind>({ noun: "storage", registerWith: "registerStorageKind" }, [
  ["local", { type: "LocalStorage", load: async () => (await import("./local/index.js")).LocalStorage }],
  ["module", { type: "ModuleStorage", load: async () => (await import("./module/index.js")).ModuleStorage }],
  ["docker", { type: "DockerStorage", load: async () => (await import("./docker/index.js")).DockerStorage }],
]);

/** Registers a kind at run time (built-in kinds are listed in `kinds` above). */
export function registerStorageKind(kind: string, entry: StorageKind): void {
  kinds.register(kind, entry);
}

export function storageKinds(): string[] {
  return kinds.kinds();
}

function entryOf(kind: string): StorageKind {
  return kinds.get(kind);
}

/** Creates a storage of `kind` from JSON options (validated by the class). */
export async function createStorage(kind: string, options: JsonObject = {}): Promise<Storage> {
  const Class = await entryOf(kind).load();
  return new Class(options as never);
}

/** Rebuilds a storage from `serialize()`'s output, by its type. */
export async function deserializeStorage(value: unknown): Promise<Storage> {
  const v = value as Partial<SerializedStorage> | null;
  if (typeof v !== "object" || v === null || typeof v.type !== "string") {
    throw new SluiceError("INVALID_INPUT", `serialized storage is ${showValue(value)}; expected an object with a type such as "DockerStorage"`, {
      field: "storage",
      value,
    });
  }
  if (typeof v.flows !== "object" || v.flows === null || Array.isArray(v.flows) || Object.values(v.flows).some((p) => typeof p !== "string")) {
    throw new SluiceError("INVALID_INPUT", `serialized ${v.type}: flows is ${showValue(v.flows)}; expected an object of flow name → location`, {
      field: "flows",
      value: v.flows,
    });
  }
  const entry = kinds.findBy((k) => k.type === v.type)?.[1];
  if (!entry) {
    throw new SluiceError(
      "INVALID_INPUT",
      `serialized storage type ${showValue(v.type)} is unknown; known types: ${kinds
        .entries()
        .map(([, k]) => k.type)
        .join(", ")}`,
      {
        field: "type",
        value: v.type,
      },
    );
  }
  return (await entry.load()).fromSerialized(v as SerializedStorage);
}
