import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { flow, task, unmapped } from "sluice";
import { quiet } from "./support.js";

const list = task("list", async (n: number) => Array.from({ length: n }, (_, i) => i + 1));
const inc = task("inc", async (x: number) => x + 1);
const sum = task("sum", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const scale = task("scale", async ({ x, factor }: { x: number; factor: number }) => x * factor);
const fragile = task("fragile", async (x: number) => {
  if (x === 3) throw new Error("three is bad");
  return x * 100;
});

describe("mapping", () => {
  it("fans out over a list result and reduces the mapped result", async () => {
    const f = flow("fan", { parameters: z.object({ n: z.number() }) }, (p) => sum(inc.map(list(p.n))));
    const result = await f.run({ ...quiet, parameters: { n: 4 } });
    assert.equal(result.value, 2 + 3 + 4 + 5);
    assert.equal(result.taskRun("inc")!.state.mapCount, 4);
    assert.deepEqual(
      result.taskRuns.filter((t) => t.taskKey === "inc").map((t) => t.mapIndex),
      [null, 0, 1, 2, 3],
    );
  });

  it("maps over an empty list: Mapped with 0 children, the reduce gets []", async () => {
    let received: unknown;
    const spy = task("spy", async (xs: number[]) => ((received = xs), xs.length));
    const result = await flow("empty", () => spy(inc.map(list(0)))).run(quiet);
    assert.equal(result.state.name, "Success");
    assert.equal(result.taskRun("inc")!.state.name, "Mapped");
    assert.equal(result.taskRun("inc")!.state.mapCount, 0);
    assert.deepEqual(received, []);
  });

  it("maps over a mapped result element-wise (nested map)", async () => {
    const f = flow("nested", () => {
      const once = inc.map(list(3));
      const twice = inc.map(once);
      return scale.map({ x: twice, factor: unmapped(10) });
    });
    const result = await f.run(quiet);
    assert.deepEqual(result.value, [30, 40, 50]);
    assert.deepEqual(
      f.describe().tasks.map((t) => [t.key, t.mapped]),
      [
        ["list", false],
        ["inc", true],
        ["inc-2", true],
        ["scale", true],
      ],
    );
  });

  it("a failed child only affects its own element downstream", async () => {
    const f = flow("elementwise-failure", () => inc.map(fragile.map(list(4))));
    const result = await f.run(quiet);
    assert.equal(result.state.name, "Failed");
    assert.deepEqual(
      result.taskRuns.filter((t) => t.taskKey === "fragile" && t.mapIndex !== null).map((t) => t.state.name),
      ["Success", "Success", "Failed", "Success"],
    );
    assert.deepEqual(
      result.taskRuns.filter((t) => t.taskKey === "inc" && t.mapIndex !== null).map((t) => t.state.name),
      ["Success", "Success", "TriggerFailed", "Success"],
    );
    assert.deepEqual(result.value, [101, 201, undefined, 401]);
    assert.match(result.state.message ?? "", /inc \(TriggerFailed ×1\)/);
  });

  it("a reduce over a mapped result with a failed child is TriggerFailed, or gets undefined there with allFinished", async () => {
    const lenient = task("lenient", async (xs: Array<number | undefined>) => xs.map((x) => x ?? -1), { trigger: "allFinished" });
    const f = flow("reduce-failure", () => {
      const ys = fragile.map(list(3));
      return { strict: sum(ys), lenient: lenient(ys) };
    });
    const result = await f.run(quiet);
    assert.equal(result.taskRun("sum")!.state.name, "TriggerFailed");
    assert.deepEqual(result.value, { strict: undefined, lenient: [100, 200, -1] });
  });

  it("passes unmapped constants and unmapped refs whole to every child", async () => {
    const tag = task("tag", async ({ x, labels }: { x: number; labels: string[] }) => `${labels.join("")}${x}`);
    const labels = task("labels", async () => ["a", "b"]);
    const result = await flow("unmapped", () => tag.map({ x: [1, 2], labels: unmapped(labels()) })).run(quiet);
    assert.deepEqual(result.value, ["ab1", "ab2"]);
    const constant = await flow("unmapped-constant", () => scale.map({ x: list(2), factor: unmapped(3) })).run(quiet);
    assert.deepEqual(constant.value, [3, 6]);
  });

  it("maps several fields in step and fails, naming them, when their lengths differ at run time", async () => {
    const pairs = await flow("zip", () => scale.map({ x: list(3), factor: [10, 20, 30] })).run(quiet);
    assert.deepEqual(pairs.value, [10, 40, 90]);
    const f = flow("mismatch", () => scale.map({ x: list(3), factor: list(2) }));
    const result = await f.run(quiet);
    const parent = result.taskRun("scale")!.state;
    assert.equal(parent.name, "Failed");
    assert.match(parent.message ?? "", /different lengths \(x: 3, factor: 2\)/);
    assert.equal(result.state.name, "Failed");
  });

  it("fails a map over something that is not a list at run time, naming it", async () => {
    const notList = task("not-list", async () => 42);
    const result = await flow("not-a-list", () => inc.map(notList() as never)).run(quiet);
    const parent = result.taskRun("inc")!.state;
    assert.equal(parent.name, "Failed");
    assert.match(parent.message ?? "", /Cannot map over its input of inc\.map\(\): it is 42, not a list/);
  });

  it("maps over a parameter list", async () => {
    const f = flow("param-map", { parameters: z.object({ xs: z.array(z.number()).default([5, 6]) }) }, (p) => inc.map(p.xs));
    assert.deepEqual((await f.run(quiet)).value, [6, 7]);
  });

  it("does not map when the list's upstream failed (TriggerFailed) or was skipped (Skipped)", async () => {
    const broken = task("broken", async (): Promise<number[]> => {
      throw new Error("no list");
    });
    const failed = await flow("map-after-failure", () => inc.map(broken())).run(quiet);
    assert.equal(failed.taskRun("inc")!.state.name, "TriggerFailed");
    assert.match(failed.taskRun("inc")!.state.message ?? "", /upstream "broken" ended Failed/);
    const { skip } = await import("sluice");
    const skipper = task("skipper", async (): Promise<number[]> => {
      throw skip("nothing today");
    });
    const skipped = await flow("map-after-skip", () => inc.map(skipper())).run(quiet);
    assert.equal(skipped.taskRun("inc")!.state.name, "Skipped");
  });

  it("runs mapped children with the concurrent executor and keeps their order", async () => {
    const wait = task("wait", async (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms)));
    const result = await flow("ordered", () => wait.map([40, 10, 30, 0])).run({ ...quiet, executor: "concurrent" });
    assert.deepEqual(result.value, [40, 10, 30, 0]);
  });
});
