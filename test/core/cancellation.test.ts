import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConcurrentExecutor, flow, task, type RunEvent, type TaskContext } from "sluice";
import { quiet, recorder } from "./support.js";

/** Rejects when the signal aborts (a well-behaved long task). */
const waits = task(
  "waits",
  (_: undefined, ctx: TaskContext) => new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
);
/** Ignores its signal for 5 s (its timer does not keep the test alive). */
const stubborn = task("stubborn", () => new Promise((r) => setTimeout(r, 5000).unref()));
const next = task("next", async (_: unknown) => "ran");

/** Aborts `controller` as soon as `taskKey` is Running. */
const abortWhenRunning = (controller: AbortController, taskKey: string) => (e: RunEvent) => {
  if (e.type === "task-run-state" && e.taskKey === taskKey && e.state.name === "Running") queueMicrotask(() => controller.abort());
};

describe("cancellation", () => {
  it("ends running tasks (signal aborted) and pending ones Cancelled, and the flow Cancelled", async () => {
    const controller = new AbortController();
    const rec = recorder();
    const f = flow("cancel-basic", () => next(waits()));
    const result = await f.run({ ...quiet, signal: controller.signal, observers: [rec.observer, abortWhenRunning(controller, "waits")] });
    assert.equal(result.state.name, "Cancelled");
    assert.deepEqual(rec.states("waits"), ["Pending", "Running", "Cancelled"]);
    assert.deepEqual(rec.states("next"), ["Pending", "Cancelled"]);
    assert.equal(result.taskRun("waits")!.state.error?.code, "CANCELLED");
  });

  it("resolves after the grace when a task ignores its signal", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const f = flow("cancel-stubborn", () => next(stubborn()));
    const result = await f.run({ ...quiet, signal: controller.signal, cancelGraceMs: 100, observers: [abortWhenRunning(controller, "stubborn")] });
    const took = Date.now() - started;
    assert.equal(result.state.name, "Cancelled");
    assert.equal(result.taskRun("stubborn")!.state.name, "Cancelled");
    assert.match(result.taskRun("stubborn")!.state.message ?? "", /did not stop within 100 ms/);
    assert.ok(took >= 90 && took < 2000, `took ${took} ms`);
  });

  it("lets a task that finishes within the grace keep its result", async () => {
    const controller = new AbortController();
    const finishesSoon = task("soon", () => new Promise((r) => setTimeout(() => r("done anyway"), 30)));
    const result = await flow("cancel-grace", () => finishesSoon()).run({
      ...quiet,
      signal: controller.signal,
      cancelGraceMs: 1000,
      observers: [abortWhenRunning(controller, "soon")],
    });
    assert.equal(result.taskRun("soon")!.state.name, "Success");
    assert.equal(result.state.name, "Cancelled");
  });

  it("runs nothing when the signal is already aborted", async () => {
    let called = false;
    const t = task("t", async () => {
      called = true;
    });
    const result = await flow("pre-aborted", () => t()).run({ ...quiet, signal: AbortSignal.abort() });
    assert.equal(result.state.name, "Cancelled");
    assert.equal(result.taskRun("t")!.state.name, "Cancelled");
    assert.equal(called, false);
  });

  it("cancels mapped children: running ones through their signal, queued ones at once", async () => {
    const controller = new AbortController();
    const f = flow("cancel-map", () => waits.map([undefined, undefined, undefined, undefined]));
    const result = await f.run({
      ...quiet,
      executor: new ConcurrentExecutor({ maxConcurrency: 2 }),
      signal: controller.signal,
      observers: [abortWhenRunning(controller, "waits")],
    });
    const children = result.taskRuns.filter((t) => t.mapIndex !== null);
    assert.deepEqual(
      children.map((c) => c.state.name),
      ["Cancelled", "Cancelled", "Cancelled", "Cancelled"],
    );
    assert.deepEqual(
      children.map((c) => c.attempts),
      [1, 1, 0, 0],
    );
  });
});
