/**
 * Every state transition a task run and a flow run can make, as observers see them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fail, flow, retry, skip, task, type TaskContext } from "sluice";
import { quiet, recorder } from "./support.js";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ok = task("ok", async () => "fine");
const boom = task("boom", async () => {
  throw new Error("kaput", { cause: new TypeError("root cause") });
});
const after = task("after", async (_: unknown) => "after");

describe("task run states", () => {
  it("Pending → Running → Success, with result, attempt and timestamps", async () => {
    const rec = recorder();
    const result = await flow("s-success", () => ok()).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("ok"), ["Pending", "Running", "Success"]);
    const final = result.taskRun("ok")!.state;
    assert.equal(final.result, "fine");
    assert.equal(final.attempt, 1);
    assert.match(final.timestamp, ISO);
    assert.deepEqual(rec.flowStates(), ["Running", "Success"]);
  });

  it("Running → Failed with a serializable error (name, message, stack, cause)", async () => {
    const rec = recorder();
    const result = await flow("s-failed", () => boom()).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("boom"), ["Pending", "Running", "Failed"]);
    const error = result.taskRun("boom")!.state.error!;
    assert.equal(error.name, "Error");
    assert.equal(error.message, "kaput");
    assert.match(error.stack ?? "", /kaput/);
    assert.deepEqual({ name: error.cause?.name, message: error.cause?.message }, { name: "TypeError", message: "root cause" });
    assert.deepEqual(JSON.parse(JSON.stringify(result.taskRun("boom")!.state)), result.taskRun("boom")!.state, "states survive JSON");
    assert.deepEqual(rec.flowStates(), ["Running", "Failed"]);
    assert.match(result.state.message ?? "", /1 of 1 reference task failed: boom \(Failed\)/);
  });

  it("Running → Retrying (with retryAt) → Running → Success", async () => {
    const rec = recorder();
    const flaky = task(
      "flaky",
      async (_: undefined, ctx: TaskContext) => {
        if (ctx.attempt === 1) throw new Error("first attempt fails");
        return ctx.attempt;
      },
      { retries: 1, retryDelayMs: 5 },
    );
    await flow("s-retry", () => flaky()).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("flaky"), ["Pending", "Running", "Retrying", "Running", "Success"]);
    const retrying = rec.events.find((e) => e.type === "task-run-state" && e.state.name === "Retrying");
    assert.ok(retrying?.type === "task-run-state");
    assert.match(retrying.state.retryAt ?? "", ISO);
    assert.match(retrying.state.message ?? "", /Retrying in 5 ms \(attempt 2 of 2\): first attempt fails/);
    assert.equal(retrying.state.error?.message, "first attempt fails");
  });

  it("Running → TimedOut", async () => {
    const rec = recorder();
    const slow = task("slow", (_: undefined, ctx: TaskContext) => new Promise((r) => ctx.signal.addEventListener("abort", r)), { timeoutMs: 20 });
    const result = await flow("s-timeout", () => slow()).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("slow"), ["Pending", "Running", "TimedOut"]);
    assert.match(result.taskRun("slow")!.state.message ?? "", /timed out after 20 ms/);
  });

  it("Pending → TriggerFailed when the trigger is not met", async () => {
    const rec = recorder();
    const result = await flow("s-trigger", () => after(boom())).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("after"), ["Pending", "TriggerFailed"]);
    const state = result.taskRun("after")!.state;
    assert.match(state.message ?? "", /Trigger allSuccessful was not met \(upstream: 1 Failed\)/);
    assert.equal(state.error?.code, "TASK_FAILED");
  });

  it("Pending → Skipped (upstream skipped) and Running → Skipped (skip signal)", async () => {
    const rec = recorder();
    const quits = task("quits", async () => {
      throw skip("no new rows");
    });
    const result = await flow("s-skip", () => after(quits())).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("quits"), ["Pending", "Running", "Skipped"]);
    assert.equal(result.taskRun("quits")!.state.message, "no new rows");
    assert.deepEqual(rec.states("after"), ["Pending", "Skipped"]);
    assert.equal(result.state.name, "Success", "Skipped counts as success");
  });

  it("Running → Failed by a fail signal, without retries", async () => {
    const rec = recorder();
    const refuses = task(
      "refuses",
      async () => {
        throw fail("bad row 12");
      },
      { retries: 5 },
    );
    const result = await flow("s-fail-signal", () => refuses()).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("refuses"), ["Pending", "Running", "Failed"]);
    assert.equal(result.taskRun("refuses")!.state.message, "bad row 12");
  });

  it("Running → Retrying by a retry signal even without retries", async () => {
    const rec = recorder();
    const again = task("again", async (_: undefined, ctx: TaskContext) => {
      if (ctx.attempt < 3) throw retry("not yet");
      return "now";
    });
    const result = await flow("s-retry-signal", () => again()).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("again"), ["Pending", "Running", "Retrying", "Running", "Retrying", "Running", "Success"]);
    assert.equal(result.taskRun("again")!.attempts, 3);
  });

  it("Pending → Mapped for a mapped parent, children Pending → Running → Success", async () => {
    const rec = recorder();
    const double = task("double", async (x: number) => 2 * x);
    const result = await flow("s-mapped", () => double.map([1, 2])).run({ ...quiet, observers: [rec.observer] });
    assert.deepEqual(rec.states("double"), ["Pending", "Mapped"]);
    assert.equal(result.taskRun("double")!.state.mapCount, 2);
    assert.deepEqual(rec.states("double", 0), ["Pending", "Running", "Success"]);
    assert.deepEqual(rec.states("double", 1), ["Pending", "Running", "Success"]);
  });

  it("Running → Cancelled and Pending → Cancelled when the run is cancelled", async () => {
    const rec = recorder();
    const controller = new AbortController();
    const waits = task("waits", (_: undefined, ctx: TaskContext) => {
      setTimeout(() => controller.abort(), 5);
      return new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("stopped"))));
    });
    const result = await flow("s-cancel", () => after(waits())).run({ ...quiet, observers: [rec.observer], signal: controller.signal });
    assert.deepEqual(rec.states("waits"), ["Pending", "Running", "Cancelled"]);
    assert.deepEqual(rec.states("after"), ["Pending", "Cancelled"]);
    assert.deepEqual(rec.flowStates(), ["Running", "Cancelled"]);
    assert.equal(result.taskRun("after")!.state.error?.code, "CANCELLED");
  });
});
