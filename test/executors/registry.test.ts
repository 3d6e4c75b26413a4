import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConcurrentExecutor, executorFromKind, executorKinds, LocalExecutor, registerExecutorKind, SluiceError, flow, task } from "sluice";

describe("executor registry", () => {
  it("creates the built-in kinds lazily, with their options", async () => {
    assert.ok(executorKinds().includes("local"));
    assert.ok(executorKinds().includes("concurrent"));
    const local = await executorFromKind("local");
    assert.ok(local instanceof LocalExecutor);
    assert.deepEqual(local.describe(), { kind: "local", options: {} });
    assert.equal(local.maxConcurrency, 1);
    const concurrent = await executorFromKind("concurrent", { maxConcurrency: 3 });
    assert.ok(concurrent instanceof ConcurrentExecutor);
    assert.deepEqual(concurrent.describe(), { kind: "concurrent", options: { maxConcurrency: 3 } });
    assert.equal((await executorFromKind("concurrent")).maxConcurrency, 16);
  });

  it("names the known kinds when a kind is unknown", async () => {
    await assert.rejects(executorFromKind("quantum"), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, "INVALID_OPTION");
      assert.match(e.message, /unknown executor kind "quantum"; known kinds: local, concurrent/);
      return true;
    });
  });

  it("validates the concurrent executor's options, naming the field", () => {
    for (const bad of [0, -1, 2.5, "4"]) {
      assert.throws(() => new ConcurrentExecutor({ maxConcurrency: bad as never }), /maxConcurrency is .*; use a whole number ≥ 1/);
    }
  });

  it("registers custom kinds, used by flow.run({ executor: kind })", async () => {
    let started = 0;
    registerExecutorKind("counting", async () => (options) => {
      const inner = new LocalExecutor();
      return {
        kind: "counting",
        maxConcurrency: 1,
        describe: () => ({ kind: "counting", options }),
        start: (o) => (started++, inner.start(o)),
      };
    });
    assert.ok(executorKinds().includes("counting"));
    const result = await flow("custom-kind", () => task("t", async () => 1)()).run({ executor: "counting", logLevel: "silent" });
    assert.equal(result.state.name, "Success");
    assert.equal(started, 1);
    assert.throws(() => registerExecutorKind("Bad Kind", async () => () => new LocalExecutor()), /not valid/);
  });

  it("rejects a factory that returns something else than an Executor", async () => {
    registerExecutorKind("hollow", async () => () => ({}) as never);
    await assert.rejects(executorFromKind("hollow"), /did not return an Executor/);
  });
});
