import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "sluice";
import { hello } from "../../examples/hello.js";

describe("examples/hello.ts", () => {
  it("greets with the defaults", async () => {
    const logs: string[] = [];
    const result = await hello.run({ logLevel: "silent", observers: [(e: RunEvent) => e.type === "log" && logs.push(e.record.message)] });
    assert.equal(result.state.name, "Success");
    assert.equal(result.value, "Hello, world!");
    assert.deepEqual(
      result.taskRuns.map((t) => [t.taskKey, t.state.name]),
      [
        ["greeting", "Success"],
        ["compose", "Success"],
        ["say", "Success"],
      ],
    );
  });

  it("takes parameters", async () => {
    const result = await hello.run({ logLevel: "silent", parameters: { name: "Ada", hour: 9 } });
    assert.equal(result.value, "Good morning, Ada!");
  });

  it("rejects an hour out of range, naming it", async () => {
    await assert.rejects(hello.run({ logLevel: "silent", parameters: { hour: 30 } }), /parameter "hour" = 30/);
  });

  it("knows its module, for other processes", () => {
    assert.equal(hello.locator?.module, new URL("../../examples/hello.ts", import.meta.url).href);
  });
});
