import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { seedsFlow } from "../../examples/seeds-two-task.js";

describe("examples/seeds-two-task.ts", () => {
  it("runs get_value then output_value, which receives its value through bind", async () => {
    const printed = mock.method(console, "log", () => undefined);
    try {
      const result = await seedsFlow.run({ logLevel: "silent" });
      assert.equal(result.state.name, "Success");
      assert.deepEqual(
        result.taskRuns.map((t) => [t.taskKey, t.state.name, t.state.result]),
        [
          ["output_value", "Success", "Example!"],
          ["get_value", "Success", "Example!"],
        ],
      );
      assert.deepEqual(
        printed.mock.calls.map((c) => c.arguments),
        [["Example!"]],
      );
    } finally {
      printed.mock.restore();
    }
  });

  it("has the seeds' graph: output_value downstream of get_value, bound by name", () => {
    assert.equal(seedsFlow.name, "Kubernetes Job Environment w/ Resource Requests & Limits");
    assert.deepEqual(
      seedsFlow.describe().tasks.map((t) => [t.key, t.upstream]),
      [
        ["output_value", ["get_value"]],
        ["get_value", []],
      ],
    );
  });
});
