/**
 * ModuleStorage: the flows are exports of an installed package, found by an import specifier
 * ("my-flows", "@team/etl/flows"), on any machine where that package is installed.
 *
 * ```ts
 * export const etl = flow("etl", { storage: new ModuleStorage({ module: "@team/etl" }) }, () => { ... });
 * ```
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { SluiceError } from "../../core/errors.js";
import type { FlowLocator } from "../../core/executor.js";
import type { AnyFlow } from "../../core/flow.js";
import { loadFlow } from "../../core/load.js";
import type { SerializedStorage, StorableFlow, Storage } from "../../core/storage.js";
import { SLUICE_VERSION } from "../../core/version.js";
import type { z } from "zod";
import { lazy } from "../../core/zod.js";
import { parseOptions } from "../../core/parse-options.js";

const schema = lazy((z) =>
  z.strictObject({
    /** Import specifier of the package (or package subpath) that exports the flows, e.g. "@team/etl/flows". Required. */
    module: z
      .string('give the import specifier of an installed package, e.g. "@team/etl"')
      .min(1, 'give the import specifier of an installed package, e.g. "@team/etl"')
      .refine(
        (m) => !m.startsWith(".") && !m.startsWith("/") && !m.startsWith("file:"),
        "a path is not a package specifier; for a module file use LocalStorage",
      ),
  }),
);

/** Options of ModuleStorage: the input of its schema. */
export type ModuleStorageOptions = z.input<ReturnType<typeof schema>>;

export class ModuleStorage implements Storage {
  static readonly serializedType = "ModuleStorage";
  readonly type = "ModuleStorage";
  /** The import specifier. */
  readonly module: string;
  readonly #flows = new Map<string, StorableFlow | undefined>();

  constructor(options: ModuleStorageOptions) {
    this.module = parseOptions(schema(), options, "ModuleStorage").module;
  }

  static fromSerialized(serialized: SerializedStorage): ModuleStorage {
    const storage = new ModuleStorage({ module: String(serialized.module ?? "") });
    for (const name of Object.keys(serialized.flows ?? {})) storage.#flows.set(name, undefined);
    return storage;
  }

  get flowNames(): readonly string[] {
    return [...this.#flows.keys()];
  }

  contains(flowName: string): boolean {
    return this.#flows.has(flowName);
  }

  /** Records the flow; its code is the package's (the flow's own module is not used). */
  addFlow(flow: StorableFlow): string {
    if (this.#flows.has(flow.name) && this.#flows.get(flow.name) !== flow) {
      throw new SluiceError("CONFLICT", `ModuleStorage (${this.module}) already holds a flow named "${flow.name}"; flows in one storage need unique names`, {
        field: "flow",
        value: flow.name,
      });
    }
    this.#flows.set(flow.name, flow);
    return this.module;
  }

  locate(flowName: string): FlowLocator {
    if (!this.#flows.has(flowName)) {
      throw new SluiceError(
        "NOT_FOUND",
        `ModuleStorage (${this.module}) holds no flow named "${flowName}" (it holds: ${this.flowNames.map((n) => `"${n}"`).join(", ") || "none"})`,
        {
          field: "flow",
          value: flowName,
        },
      );
    }
    return { module: this.module, flowName };
  }

  /** Checks that the package resolves from the current directory. */
  async build(): Promise<this> {
    try {
      createRequire(join(process.cwd(), "noop.js")).resolve(this.module);
    } catch (error) {
      // ESM-only packages have no "require" export: they exist all the same.
      if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") {
        throw new SluiceError(
          "STORAGE_ERROR",
          `ModuleStorage: the package ${this.module} cannot be resolved from ${process.cwd()}; install it (npm install ${this.module})`,
          {
            field: "module",
            value: this.module,
            cause: error,
          },
        );
      }
    }
    return this;
  }

  serialize(): SerializedStorage {
    return {
      type: "ModuleStorage",
      version: SLUICE_VERSION,
      flows: Object.fromEntries(this.flowNames.map((name) => [name, this.module])),
      module: this.module,
    };
  }

  loadFlow(flowName: string): Promise<AnyFlow> {
    return loadFlow(this.locate(flowName));
  }
}
