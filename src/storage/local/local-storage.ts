/**
 * LocalStorage: the flow's code is a module file on this machine. Nothing to build; loading
 * works on the machine that stored it (a process on another machine, such as an agent, gets a clear
 * error naming both hosts).
 *
 * ```ts
 * export const etl = flow("etl", { storage: new LocalStorage() }, () => { ... });
 * ```
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { SluiceError, showValue } from "../../core/errors.js";
import type { FlowLocator } from "../../core/executor.js";
import type { AnyFlow } from "../../core/flow.js";
import { loadFlow, resolveModule } from "../../core/load.js";
import type { SerializedStorage, StorableFlow, Storage } from "../../core/storage.js";
import { SLUICE_VERSION } from "../../core/version.js";
import type { z } from "zod";
import { lazy } from "../../core/zod.js";
import { parseOptions } from "../../core/parse-options.js";

const schema = lazy((z) =>
  z.strictObject({
    /** Refuse to load flows on another machine than the one that stored them. @default true */
    validateHostname: z.boolean().default(true),
  }),
);

/** Options of LocalStorage: the input of its schema. */
export type LocalStorageOptions = z.input<ReturnType<typeof schema>>;

/**
 * validateHostname from the options. Plainly valid options (the usual `new LocalStorage()`) are read
 * directly, so a flow that stores itself locally loads no zod; anything else goes through the schema,
 * whose errors name the field.
 */
function validateHostnameOf(options: LocalStorageOptions): boolean {
  const plain = typeof options === "object" && options !== null && [Object.prototype, null].includes(Object.getPrototypeOf(options) as object | null);
  const value = (options as { validateHostname?: unknown } | null)?.validateHostname;
  if (plain && Object.keys(options).every((key) => key === "validateHostname") && (value === undefined || typeof value === "boolean")) return value ?? true;
  return parseOptions(schema(), options, "LocalStorage").validateHostname;
}

interface Stored {
  flow: StorableFlow | undefined;
  path: string;
}

export class LocalStorage implements Storage {
  static readonly serializedType = "LocalStorage";
  readonly type = "LocalStorage";
  /** The machine the flows are stored on. */
  readonly host: string;
  readonly validateHostname: boolean;
  readonly #flows = new Map<string, Stored>();

  constructor(options: LocalStorageOptions = {}) {
    this.validateHostname = validateHostnameOf(options);
    this.host = hostname();
  }

  /** Rebuilds a storage from `serialize()`'s output (it remembers the host that stored the flows). */
  static fromSerialized(serialized: SerializedStorage): LocalStorage {
    const storage = new LocalStorage({ validateHostname: serialized.validateHostname !== false });
    if (typeof serialized.host === "string") (storage as { host: string }).host = serialized.host;
    for (const [name, path] of Object.entries(serialized.flows ?? {})) storage.#flows.set(name, { flow: undefined, path });
    return storage;
  }

  get flowNames(): readonly string[] {
    return [...this.#flows.keys()];
  }

  contains(flowName: string): boolean {
    return this.#flows.has(flowName);
  }

  addFlow(flow: StorableFlow, module?: string): string {
    const given = module ?? flow.module ?? undefined;
    if (!given) {
      throw new SluiceError("STORAGE_ERROR", `LocalStorage: the module of flow "${flow.name}" is unknown; pass it: storage.addFlow(flow, import.meta.url)`, {
        field: "module",
      });
    }
    const resolved = resolveModule(given.startsWith("file:") ? fileURLToPath(given) : given);
    if (resolved.kind !== "file") {
      throw new SluiceError(
        "STORAGE_ERROR",
        `LocalStorage holds module files; flow "${flow.name}" comes from the package ${resolved.specifier}: use ModuleStorage`,
        {
          field: "module",
          value: resolved.specifier,
        },
      );
    }
    const existing = this.#flows.get(flow.name);
    if (existing) {
      if (existing.flow === flow && existing.path === resolved.path) return existing.path;
      throw new SluiceError(
        "CONFLICT",
        `LocalStorage already holds a flow named "${flow.name}" (from ${existing.path}); flows in one storage need unique names`,
        {
          field: "flow",
          value: flow.name,
        },
      );
    }
    this.#flows.set(flow.name, { flow, path: resolved.path });
    return resolved.path;
  }

  locate(flowName: string): FlowLocator {
    const stored = this.#flows.get(flowName);
    if (!stored) {
      throw new SluiceError(
        "NOT_FOUND",
        `LocalStorage holds no flow named "${flowName}" (it holds: ${this.flowNames.map((n) => `"${n}"`).join(", ") || "none"})`,
        {
          field: "flow",
          value: flowName,
        },
      );
    }
    return { module: stored.path, flowName };
  }

  /** Checks that every module still exists; nothing else to build. */
  async build(): Promise<this> {
    for (const [name, stored] of this.#flows) {
      if (!existsSync(stored.path)) {
        throw new SluiceError("STORAGE_ERROR", `LocalStorage: the module of flow "${name}" (${stored.path}) does not exist`, { field: "flows", value: name });
      }
    }
    return this;
  }

  serialize(): SerializedStorage {
    return {
      type: "LocalStorage",
      version: SLUICE_VERSION,
      flows: Object.fromEntries([...this.#flows].map(([name, stored]) => [name, stored.path])),
      host: this.host,
      validateHostname: this.validateHostname,
    };
  }

  async loadFlow(flowName: string): Promise<AnyFlow> {
    const locator = this.locate(flowName);
    const here = hostname();
    if (this.validateHostname && here !== this.host) {
      throw new SluiceError(
        "STORAGE_ERROR",
        `flow "${flowName}" is in LocalStorage on host ${showValue(this.host)}, and this is host ${showValue(here)}: a process on another machine cannot load it. ` +
          "Run it on that host (a local agent there), or store it in DockerStorage or ModuleStorage.",
        { field: "flow", value: flowName },
      );
    }
    return loadFlow(locator);
  }
}
