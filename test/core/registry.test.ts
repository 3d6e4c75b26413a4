import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SluiceError, createEnvironment, createStorage, executorFromKind } from "sluice";
import { agentKind } from "../../src/agents/registry.js";
import { Registry } from "../../src/core/registry.js";

const fruit = (): Registry<number> =>
  new Registry<number>({ noun: "fruit", registerWith: "registerFruitKind" }, [
    ["apple", 1],
    ["pear", 2],
  ]);

describe("the generic registry of kinds", () => {
  it("keeps the kinds in registration order, finds them, and lets a later registration replace an entry", () => {
    const registry = fruit();
    assert.deepEqual(registry.kinds(), ["apple", "pear"]);
    assert.equal(registry.get("pear"), 2);
    assert.equal(registry.find("plum"), undefined);
    assert.deepEqual(
      registry.findBy((n) => n > 1),
      ["pear", 2],
    );
    assert.equal(
      registry.findBy((n) => n > 5),
      undefined,
    );
    registry.register("plum", 3);
    registry.register("apple", 10);
    assert.deepEqual(registry.entries(), [
      ["apple", 10],
      ["pear", 2],
      ["plum", 3],
    ]);
  });

  it("rejects a kind that is not lowercase letters, digits and -, naming it and the rule", () => {
    const registry = fruit();
    for (const bad of ["Bad Kind", "", "1st", "-x", "a_b", 7 as unknown as string]) {
      assert.throws(
        () => registry.register(bad, 0),
        (e: unknown) =>
          e instanceof SluiceError &&
          e.code === "INVALID_OPTION" &&
          e.field === "kind" &&
          e.value === bad &&
          /^fruit kind .* is not valid; use lowercase letters, digits and -/.test(e.message),
      );
    }
    assert.deepEqual(registry.kinds(), ["apple", "pear"], "nothing registered by a rejected call");
  });

  it("an unknown kind is an error naming the kind, the known kinds and how to add one", () => {
    assert.throws(
      () => fruit().get("kiwi"),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === "INVALID_OPTION" &&
        e.field === "fruit" &&
        e.value === "kiwi" &&
        e.kind === "kiwi" &&
        e.message === 'unknown fruit kind "kiwi"; known kinds: apple, pear. Use one of them, or register your own with registerFruitKind() before naming it',
    );
    assert.throws(
      () => fruit().get("kiwi", "--fruit"),
      (e: unknown) => e instanceof SluiceError && e.field === "--fruit",
    );
    const custom = new Registry<number>({ noun: "tool", registerWith: "registerTool", field: "kind", unknownCode: "INVALID_INPUT" });
    assert.throws(
      () => custom.get("saw"),
      (e: unknown) => e instanceof SluiceError && e.code === "INVALID_INPUT" && e.field === "kind" && /known kinds: \./.test(e.message),
    );
  });

  it("the four registries of Sluice report an unknown kind through it, each naming its own register function", async () => {
    const expectUnknown = (name: string, field: string) => (e: unknown) =>
      e instanceof SluiceError &&
      e.field === field &&
      e.value === "nope" &&
      new RegExp(`unknown ${name} kind "nope"; known kinds: local, .*register.*Kind\\(\\)`).test(e.message);
    await assert.rejects(executorFromKind("nope"), expectUnknown("executor", "executor"));
    await assert.rejects(createStorage("nope"), expectUnknown("storage", "storage"));
    await assert.rejects(createEnvironment("nope"), expectUnknown("environment", "environment"));
    assert.throws(() => agentKind("nope"), expectUnknown("agent", "kind"));
  });
});
