import assert from "node:assert/strict";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { flow, task, LocalStorage, ModuleStorage, SluiceError, SLUICE_VERSION, createStorage, deserializeStorage, storageKinds, isFlow } from "sluice";

const here = fileURLToPath(import.meta.url);
const seven = task("seven", async () => 7);
export const localFlow = flow("local-storage-flow", { storage: new LocalStorage() }, () => seven());
const sameName = flow("local-storage-flow", {}, () => seven());

describe("LocalStorage", () => {
  it("stores the flow's module path and loads the flow on this host", async () => {
    const storage = new LocalStorage();
    assert.equal(storage.addFlow(localFlow), here);
    assert.deepEqual(storage.locate("local-storage-flow"), { module: here, flowName: "local-storage-flow" });
    assert.equal(await storage.build(), storage);
    const loaded = await storage.loadFlow("local-storage-flow");
    assert.equal(loaded.name, "local-storage-flow");
    assert.deepEqual(storage.serialize(), {
      type: "LocalStorage",
      version: SLUICE_VERSION,
      flows: { "local-storage-flow": here },
      host: hostname(),
      validateHostname: true,
    });
  });

  it("refuses to load on another host, naming both", async () => {
    const storage = new LocalStorage();
    storage.addFlow(localFlow);
    const elsewhere = await deserializeStorage({ ...storage.serialize(), host: "build-box-7" });
    await assert.rejects(
      elsewhere.loadFlow("local-storage-flow"),
      (e: unknown) => e instanceof SluiceError && e.code === "STORAGE_ERROR" && e.message.includes("build-box-7") && e.message.includes(hostname()),
    );
    const lenient = await deserializeStorage({ ...storage.serialize(), host: "build-box-7", validateHostname: false });
    const loaded = await lenient.loadFlow("local-storage-flow");
    assert.ok(isFlow(loaded));
    assert.equal(loaded.name, "local-storage-flow");
  });

  it("refuses two flows of one name, a package module, and a module that disappeared", async () => {
    const storage = new LocalStorage();
    storage.addFlow(localFlow);
    assert.throws(
      () => storage.addFlow(sameName),
      (e: unknown) => e instanceof SluiceError && e.code === "CONFLICT",
    );
    assert.throws(() => new LocalStorage().addFlow({ name: "p" }, "zod"), /use ModuleStorage/);
    const gone = await deserializeStorage({ type: "LocalStorage", version: SLUICE_VERSION, flows: { x: "/no/such/module.ts" }, host: hostname() });
    await assert.rejects(gone.build(), (e: unknown) => e instanceof SluiceError && /does not exist/.test(e.message));
  });

  it("reads validateHostname, and names the field of invalid options", () => {
    assert.equal(new LocalStorage().validateHostname, true);
    assert.equal(new LocalStorage({}).validateHostname, true);
    assert.equal(new LocalStorage({ validateHostname: false }).validateHostname, false);
    assert.equal(new LocalStorage({ validateHostname: undefined }).validateHostname, true);
    const invalid = (options: unknown, pattern: RegExp, field: string): void =>
      assert.throws(
        () => new LocalStorage(options as never),
        (e: unknown) => e instanceof SluiceError && e.code === "INVALID_OPTION" && e.field === field && pattern.test(e.message),
        String(options),
      );
    invalid({ validateHostname: "no" }, /^LocalStorage: option validateHostname is "no": .*boolean/, "validateHostname");
    invalid({ validateHost: false }, /unknown option "validateHost"/, "options");
    invalid([], /LocalStorage: option options/, "options");
  });
});

describe("ModuleStorage", () => {
  it("loads flows from an installed package by specifier", async () => {
    const storage = new ModuleStorage({ module: "sluice" });
    storage.addFlow({ name: "anything" });
    assert.deepEqual(storage.locate("anything"), { module: "sluice", flowName: "anything" });
    assert.equal(await storage.build(), storage);
    assert.deepEqual(storage.serialize(), { type: "ModuleStorage", version: SLUICE_VERSION, flows: { anything: "sluice" }, module: "sluice" });
    await assert.rejects(storage.loadFlow("anything"), (e: unknown) => e instanceof SluiceError && e.code === "FLOW_LOAD_FAILED");
  });

  it("refuses a path instead of a specifier, a missing module option, and a package that is not installed", async () => {
    assert.throws(
      () => new ModuleStorage({ module: "./flows.js" }),
      (e: unknown) => e instanceof SluiceError && e.field === "module" && /LocalStorage/.test(e.message),
    );
    assert.throws(
      () => new ModuleStorage({} as never),
      (e: unknown) => e instanceof SluiceError && e.field === "module",
    );
    await assert.rejects(new ModuleStorage({ module: "no-such-package-sluice-test" }).build(), /npm install no-such-package-sluice-test/);
  });
});

describe("storage registry", () => {
  it("lists the kinds and creates each from JSON options", async () => {
    assert.deepEqual(storageKinds().slice(0, 3), ["local", "module", "docker"]);
    assert.equal((await createStorage("module", { module: "sluice" })).type, "ModuleStorage");
    assert.equal((await createStorage("docker", { imageName: "etl" })).type, "DockerStorage");
    await assert.rejects(
      createStorage("s3"),
      (e: unknown) => e instanceof SluiceError && /known kinds: local, module, docker/.test(e.message) && e.field === "storage",
    );
  });

  it("rejects a malformed or unknown serialized storage", async () => {
    await assert.rejects(deserializeStorage({ type: "GCS", version: "1", flows: {} }), (e: unknown) => e instanceof SluiceError && e.field === "type");
    await assert.rejects(deserializeStorage({ type: "LocalStorage", flows: { a: 1 } }), (e: unknown) => e instanceof SluiceError && e.field === "flows");
    await assert.rejects(deserializeStorage("x"), (e: unknown) => e instanceof SluiceError && e.field === "storage");
  });
});
