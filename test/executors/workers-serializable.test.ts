import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertSerializable, findUnserializable } from "../../src/executors/workers/serializable.js";
import { SluiceError } from "../../src/core/errors.js";

class Client {
  connect(): void {}
}

describe("findUnserializable (structured clone)", () => {
  it("accepts what postMessage copies faithfully", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const values: unknown[] = [
      undefined,
      null,
      1,
      NaN,
      "s",
      true,
      10n,
      { a: [1, { b: new Date(0) }], r: /x/g, m: new Map([["k", new Set([1])]]), buf: new Uint8Array(3), ab: new ArrayBuffer(2), e: new Error("x") },
      Object.create(null) as object,
      cyclic,
    ];
    values.forEach((v, i) => assert.equal(findUnserializable(v, "structured-clone", "input"), null, `value #${i}`));
  });

  it("names the path of a function, a symbol and a class instance", () => {
    assert.deepEqual(findUnserializable({ client: () => 1 }, "structured-clone", "input")?.path, "input.client");
    assert.match(findUnserializable({ client: function connect() {} }, "structured-clone", "input")!.reason, /is a function \(connect\)/);
    assert.deepEqual(findUnserializable([1, [2, Symbol("s")]], "structured-clone", "result")?.path, "result[1][1]");
    const problem = findUnserializable({ deep: { "odd key": new Client() } }, "structured-clone", "input");
    assert.equal(problem?.path, 'input.deep["odd key"]');
    assert.match(problem!.reason, /Client instance/);
    assert.match(findUnserializable(new Map([["k", () => 0]]), "structured-clone", "input")!.path, /input\.k/);
  });
});

describe("findUnserializable (json)", () => {
  it("accepts JSON values and undefined fields", () => {
    assert.equal(findUnserializable({ a: [1, "x", null, { b: true }], c: undefined }, "json", "v"), null);
    assert.equal(findUnserializable(undefined, "json", "v"), null);
  });

  it("rejects what JSON would change or lose", () => {
    assert.match(findUnserializable({ n: Infinity }, "json", "v")!.reason, /JSON turns into null/);
    assert.equal(findUnserializable([1, undefined], "json", "v")!.path, "v[1]");
    assert.match(findUnserializable({ d: new Date(0) }, "json", "v")!.reason, /Date/);
    assert.match(findUnserializable({ b: 1n }, "json", "v")!.reason, /bigint/);
    assert.match(findUnserializable(new Map(), "json", "v")!.reason, /Map instance/);
    const cyclic: Record<string, unknown> = {};
    cyclic.again = { back: cyclic };
    assert.deepEqual(findUnserializable(cyclic, "json", "v"), { path: "v.again.back", reason: "is a circular reference, which JSON cannot hold" });
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    assert.equal(findUnserializable({ a: shared, b: shared }, "json", "v"), null);
  });
});

describe("assertSerializable", () => {
  it("throws NOT_SERIALIZABLE naming the task, the map index and the path", () => {
    assert.throws(
      () => assertSerializable({ client: new Client() }, "structured-clone", "input", { taskName: "fetch", mapIndex: 3, executor: "workers" }),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === "NOT_SERIALIZABLE" &&
        e.field === "input.client" &&
        e.message.startsWith('task "fetch" [map index 3]: input.client is a Client instance') &&
        e.message.includes("worker thread"),
    );
    assert.doesNotThrow(() => assertSerializable({ ok: 1 }, "json", "input", { taskName: "t", executor: "distributed" }));
  });
});
