/**
 * The storage conformance suite, which every storage kind passes. Each kind's test calls it:
 *
 * ```ts
 * runStorageConformance("local", {
 *   type: "LocalStorage",
 *   create: () => new LocalStorage(),
 *   fromSerialized: (serialized) => LocalStorage.fromSerialized(serialized),
 *   flows: [firstFlow, secondFlow],
 * });
 * ```
 *
 * It checks what the Storage contract promises whatever the kind: an empty storage holds nothing; added
 * flows keep their order and are located where `addFlow` said; adding the same flow again changes
 * nothing while another flow of the same name is a CONFLICT; an unknown name is NOT_FOUND; `serialize()`
 * is plain JSON listing the flows at their locations and rebuilds an equal storage; and, where the kind
 * can load flows in this process, `loadFlow` returns the flow.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SluiceError } from "../core/errors.js";
import { isFlow } from "../core/flow.js";
import type { SerializedStorage, StorableFlow, Storage } from "../core/storage.js";
import { SLUICE_VERSION } from "../core/version.js";

export interface StorageConformanceOptions {
  /** The serialized type of the kind, e.g. "LocalStorage". */
  type: string;
  /** Creates an empty storage of the kind. */
  create: () => Storage;
  /** Rebuilds a storage from `serialize()`'s output (the kind's `fromSerialized`). */
  fromSerialized: (serialized: SerializedStorage) => Storage | Promise<Storage>;
  /** Two flows of different names, defined in a module the kind can hold (e.g. a file of the test's folder). */
  flows: readonly [StorableFlow, StorableFlow];
  /**
   * Why `loadFlow` cannot load a flow in this process (e.g. the flow lives inside an image); that test is
   * then reported as skipped with this reason. @default undefined (loadFlow is checked)
   */
  loadSkipReason?: string;
}

const isError = (code: string) => (e: unknown) => e instanceof SluiceError && e.code === code && e.field === "flow";

/** Registers the conformance tests (node:test) of a storage kind. */
export function runStorageConformance(name: string, options: StorageConformanceOptions): void {
  const { create, flows } = options;
  const [first, second] = flows;

  describe(`storage conformance: ${name}`, () => {
    it("an empty storage holds nothing, and locating a flow in it is NOT_FOUND naming the field", () => {
      const storage = create();
      assert.equal(storage.type, options.type);
      assert.deepEqual([...storage.flowNames], []);
      assert.equal(storage.contains(first.name), false);
      assert.throws(() => storage.locate(first.name), isError("NOT_FOUND"));
      assert.deepEqual(storage.serialize().flows, {});
    });

    it("keeps added flows in order and locates each where addFlow said it lives", () => {
      const storage = create();
      const firstAt = storage.addFlow(first);
      const secondAt = storage.addFlow(second);
      assert.equal(typeof firstAt, "string");
      assert.deepEqual([...storage.flowNames], [first.name, second.name]);
      assert.ok(storage.contains(first.name) && storage.contains(second.name));
      assert.deepEqual(storage.locate(first.name), { module: firstAt, flowName: first.name });
      assert.deepEqual(storage.locate(second.name), { module: secondAt, flowName: second.name });
      assert.throws(() => storage.locate("no-such-flow"), isError("NOT_FOUND"));
    });

    it("adding the same flow again changes nothing; another flow of the same name is a CONFLICT naming it", () => {
      const storage = create();
      const at = storage.addFlow(first);
      assert.equal(storage.addFlow(first), at);
      assert.deepEqual([...storage.flowNames], [first.name]);
      const impostor: StorableFlow = { name: first.name, module: first.module ?? null, environment: null };
      assert.throws(
        () => storage.addFlow(impostor),
        (e: unknown) => isError("CONFLICT")(e) && e instanceof SluiceError && e.message.includes(first.name),
      );
      assert.deepEqual([...storage.flowNames], [first.name], "the refused flow was not added");
    });

    it("serializes to plain JSON listing the flows at their locations, which rebuilds an equal storage", async () => {
      const storage = create();
      const locations = { [first.name]: storage.addFlow(first), [second.name]: storage.addFlow(second) };
      const serialized = storage.serialize();
      assert.equal(serialized.type, options.type);
      assert.equal(serialized.version, SLUICE_VERSION);
      assert.deepEqual(serialized.flows, locations);
      const text = JSON.stringify(serialized);
      assert.deepEqual(JSON.parse(text), serialized, "the serialized form is plain JSON");
      const rebuilt = await options.fromSerialized(JSON.parse(text) as SerializedStorage);
      assert.equal(rebuilt.type, options.type);
      assert.deepEqual([...rebuilt.flowNames], [first.name, second.name]);
      assert.deepEqual(rebuilt.serialize(), serialized);
      assert.deepEqual(rebuilt.locate(second.name), storage.locate(second.name));
    });

    it("loadFlow() loads a flow it holds by name, and an unknown name is NOT_FOUND", { skip: options.loadSkipReason }, async () => {
      const storage = create();
      storage.addFlow(first);
      const loaded = await storage.loadFlow(first.name);
      assert.ok(isFlow(loaded), "loadFlow returned a flow");
      assert.equal(loaded.name, first.name);
      await assert.rejects(storage.loadFlow("no-such-flow"), isError("NOT_FOUND"));
    });
  });
}
