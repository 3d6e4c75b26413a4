import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "sluice";
import { etl } from "../../examples/etl.js";

describe("examples/etl.ts", () => {
  for (const executor of ["local", "concurrent"] as const) {
    it(`extracts, transforms each row (mapped) and loads after one retry (${executor})`, async () => {
      const states: string[] = [];
      const result = await etl.run({
        logLevel: "silent",
        executor,
        parameters: { n: 4, rate: 2 },
        observers: [(e: RunEvent) => e.type === "task-run-state" && e.taskKey === "load" && states.push(e.state.name)],
      });
      assert.equal(result.state.name, "Success", result.state.message);
      assert.equal(result.value, (10 + 20 + 30 + 40) * 2);
      assert.equal(result.taskRun("transform")?.state.mapCount, 4);
      assert.equal(result.taskRun("load")?.attempts, 2);
      assert.deepEqual(states, ["Pending", "Running", "Retrying", "Running", "Success"]);
    });
  }

  it("handles zero rows: an empty map and a load of nothing", async () => {
    const result = await etl.run({ logLevel: "silent", parameters: { n: 0 } });
    assert.equal(result.state.name, "Success");
    assert.equal(result.value, 0);
    assert.equal(result.taskRun("transform")?.state.mapCount, 0);
  });

  it("describes its graph and parameters", () => {
    const d = etl.describe();
    assert.deepEqual(
      d.tasks.map((t) => [t.key, t.upstream, t.mapped]),
      [
        ["extract", [], false],
        ["transform", ["extract"], true],
        ["load", ["transform"], false],
      ],
    );
    assert.deepEqual(Object.keys((d.parameters as { properties: object }).properties), ["n", "rate"]);
  });
});
