import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { flow, LocalExecutor, task, type Executor, type TaskContext } from "sluice";
import { quiet, recorder, rejectsWith } from "./support.js";

const add = task("add", async ({ a, b }: { a: number; b: number }) => a + b);
const double = task("double", async (x: number) => x * 2);

describe("flow.run()", () => {
  it("returns a typed result: value, result(ref), taskRun(), taskRuns in definition order", async () => {
    let refs!: { s: ReturnType<typeof add>; d: ReturnType<typeof double.map> };
    const f = flow("result", { parameters: z.object({ k: z.number().default(2) }) }, (p) => {
      const s = add({ a: p.k, b: 3 });
      const d = double.map([1, 2]);
      refs = { s, d };
      return { s, d, literal: "x" };
    });
    const result = await f.run(quiet);
    const value: { s: number; d: number[]; literal: string } | undefined = result.value;
    assert.deepEqual(value, { s: 5, d: [2, 4], literal: "x" });
    assert.equal(result.result(refs.s), 5);
    assert.deepEqual(result.result(refs.d), [2, 4]);
    assert.equal(result.taskRun(refs.d, 1)?.state.result, 4);
    assert.equal(result.taskRun("nope"), undefined);
    assert.deepEqual(
      result.taskRuns.map((t) => [t.taskKey, t.mapIndex]),
      [
        ["add", null],
        ["double", null],
        ["double", 0],
        ["double", 1],
      ],
    );
    assert.equal(result.flowName, "result");
    assert.equal(new Set(result.taskRuns.map((t) => t.taskRunId)).size, 4);
  });

  it("uses the given flowRunId and task run ids", async () => {
    const f = flow("ids", () => double.map([1, 2]));
    const result = await f.run({ ...quiet, flowRunId: "run-42", taskRunIdFor: (key, i) => (i === null ? undefined : `${key}#${i}`) });
    assert.equal(result.flowRunId, "run-42");
    assert.deepEqual(
      result.taskRuns.map((t) => (t.taskRunId.includes("#") ? t.taskRunId : "uuid")),
      ["uuid", "double#0", "double#1"],
    );
  });

  it("runs tasks in definition order with the local executor", async () => {
    const order: string[] = [];
    const log = task("log", async (name: string) => void order.push(name));
    const after = task("after", async ({ name }: { name: string; _: unknown }) => void order.push(name));
    const f = flow("order", () => {
      const a = log("a");
      log("b");
      after({ name: "c", _: a });
      log("d");
    });
    await f.run({ ...quiet, executor: new LocalExecutor() });
    assert.deepEqual(order, ["a", "b", "c", "d"]);
    order.length = 0;
    await f.run(quiet);
    assert.deepEqual(order, ["a", "b", "c", "d"], "the same order every run");
  });

  it("resumes: task runs already Success are not run again", async () => {
    const calls: string[] = [];
    const step = task("step", async (name: string, ctx: TaskContext) => (calls.push(`${name}@${ctx.mapIndex}`), name));
    const f = flow("resumable", () => step.map(["x", "y"]));
    const first = await f.run(quiet);
    calls.length = 0;
    const previous = first.taskRuns.filter((t) => t.mapIndex === 0);
    const second = await f.run({ ...quiet, resume: previous });
    assert.deepEqual(calls, ["y@1"]);
    assert.deepEqual(second.value, ["x", "y"]);
    assert.equal(second.taskRun("step", 0)?.taskRunId, previous[0]!.taskRunId);
  });

  it("chooses the executor: run option, then the flow's, then local; kinds resolve through the registry", async () => {
    const kinds: string[] = [];
    const spy = (kind: string): Executor => ({
      kind,
      maxConcurrency: 1,
      describe: () => ({ kind, options: {} }),
      start: async (o) => {
        kinds.push(kind);
        return new LocalExecutor().start(o);
      },
    });
    const f = flow("choose", { executor: spy("flow-default") }, () => double(1));
    await f.run(quiet);
    await f.run({ ...quiet, executor: spy("per-run") });
    assert.deepEqual(kinds, ["flow-default", "per-run"]);
    const r = await f.run({ ...quiet, executor: "concurrent" });
    assert.equal(r.state.name, "Success");
    await rejectsWith(() => f.run({ ...quiet, executor: "warp-drive" }), "INVALID_OPTION", /unknown executor kind "warp-drive"/, /local, concurrent/);
    await rejectsWith(() => f.run({ ...quiet, executor: { kind: 1 } as never }), "INVALID_OPTION", /Executor object/);
  });

  it("fails the flow run and throws EXECUTOR_ERROR when the executor cannot start", async () => {
    const broken: Executor = {
      kind: "broken",
      maxConcurrency: 1,
      describe: () => ({ kind: "broken", options: {} }),
      start: () => Promise.reject(new Error("no broker")),
    };
    const rec = recorder();
    await rejectsWith(() => flow("broken-exec", () => double(1)).run({ ...quiet, executor: broken, observers: [rec.observer] }), "EXECUTOR_ERROR", /no broker/);
    assert.deepEqual(rec.flowStates(), ["Running", "Failed"]);
  });

  it("turns an executor that rejects a submission into a Failed task run", async () => {
    const flaky: Executor = {
      kind: "rejecting",
      maxConcurrency: 1,
      describe: () => ({ kind: "rejecting", options: {} }),
      start: async () => ({ submit: () => Promise.reject(new Error("lost connection")), close: async () => undefined }),
    };
    const result = await flow("rejecting", () => double(1)).run({ ...quiet, executor: flaky });
    const state = result.taskRun("double")!.state;
    assert.equal(state.name, "Failed");
    assert.equal(state.error?.code, "EXECUTOR_ERROR");
    assert.match(state.error?.message ?? "", /lost connection/);
  });

  it("rejects bad run options naming them", async () => {
    const f = flow("opts", () => double(1));
    await rejectsWith(() => f.run({ ...quiet, cancelGraceMs: -1 }), "INVALID_OPTION", /cancelGraceMs/);
    await rejectsWith(() => f.run({ ...quiet, observers: ["x"] as never }), "INVALID_OPTION", /observers/);
    await rejectsWith(() => f.run({ ...quiet, flowRunId: "" }), "INVALID_OPTION", /flowRunId/);
  });

  it("runs an empty flow to Success", async () => {
    const result = await flow("empty-flow", () => undefined).run(quiet);
    assert.equal(result.state.name, "Success");
    assert.deepEqual(result.taskRuns, []);
  });

  it("keeps at most maxConcurrency attempts in flight", async () => {
    let running = 0;
    let peak = 0;
    const busy = task("busy", async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    });
    const { ConcurrentExecutor } = await import("sluice");
    await flow("peak", () => busy.map(Array.from({ length: 12 }, () => undefined))).run({ ...quiet, executor: new ConcurrentExecutor({ maxConcurrency: 3 }) });
    assert.equal(peak, 3);
  });
});
