import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flow, MAX_FORCED_RETRIES, retry, task, type State, type TaskContext, type TaskOptions } from "sluice";
import { quiet, recorder } from "./support.js";

/** A task failing its first `failures` attempts, then returning the attempt number. */
function flaky(failures: number, options: TaskOptions<undefined>) {
  return task(
    "flaky",
    async (_: undefined, ctx: TaskContext) => {
      if (ctx.attempt <= failures) throw new Error(`failure ${ctx.attempt}`);
      return ctx.attempt;
    },
    options,
  );
}

async function run(t: ReturnType<typeof flaky>) {
  const rec = recorder();
  const result = await flow("retries", () => t()).run({ ...quiet, observers: [rec.observer] });
  const retrying = rec.events.flatMap((e) => (e.type === "task-run-state" && e.state.name === "Retrying" ? [e.state] : []));
  return { result, run: result.taskRun("flaky")!, retrying, rec };
}

const delays = (states: State[]): number[] => states.map((s) => Number(/Retrying in (\d+) ms/.exec(s.message ?? "")?.[1]));

describe("retries", () => {
  it("retries up to `retries` times and succeeds", async () => {
    const { result, run: r } = await run(flaky(2, { retries: 2 }));
    assert.equal(result.state.name, "Success");
    assert.equal(r.attempts, 3);
    assert.equal(r.state.result, 3);
  });

  it("fails with the last error once retries are used up", async () => {
    const { result, run: r } = await run(flaky(5, { retries: 2 }));
    assert.equal(result.state.name, "Failed");
    assert.equal(r.attempts, 3);
    assert.equal(r.state.error?.message, "failure 3");
  });

  it("waits retryDelayMs before each retry (fixed backoff)", async () => {
    const started = Date.now();
    const { retrying } = await run(flaky(2, { retries: 2, retryDelayMs: 40 }));
    assert.deepEqual(delays(retrying), [40, 40]);
    assert.ok(Date.now() - started >= 75, `took ${Date.now() - started} ms`);
    for (const s of retrying) assert.ok(Date.parse(s.retryAt!) - Date.parse(s.timestamp) >= 39);
  });

  it("doubles the wait with exponential backoff, capped by maxRetryDelayMs", async () => {
    const { retrying } = await run(flaky(4, { retries: 4, retryDelayMs: 5, retryBackoff: "exponential", maxRetryDelayMs: 25 }));
    assert.deepEqual(delays(retrying), [5, 10, 20, 25]);
  });

  it("does not retry a timed-out attempt unless retryOnTimeout", async () => {
    const sleepy = (retryOnTimeout: boolean) =>
      task(
        "flaky",
        async (_: undefined, ctx: TaskContext) => {
          if (ctx.attempt === 1) await new Promise((r) => setTimeout(r, 200));
          return ctx.attempt;
        },
        { retries: 1, timeoutMs: 30, retryOnTimeout },
      );
    const once = await run(sleepy(false));
    assert.equal(once.run.state.name, "TimedOut");
    assert.equal(once.run.attempts, 1);
    const again = await run(sleepy(true));
    assert.equal(again.run.state.name, "Success");
    assert.equal(again.run.attempts, 2);
  });

  it("a retry signal adds an attempt beyond `retries`, with its own delay", async () => {
    const t = task(
      "flaky",
      async (_: undefined, ctx: TaskContext) => {
        if (ctx.attempt === 1) throw retry("rate limited", { delayMs: 30 });
        if (ctx.attempt === 2) throw new Error("plain failure");
        return ctx.attempt;
      },
      { retries: 1, retryDelayMs: 1 },
    );
    const { run: r, retrying } = await run(t);
    assert.equal(r.state.name, "Success");
    assert.equal(r.attempts, 3);
    assert.deepEqual(delays(retrying), [30, 1]);
  });

  it(`caps retry signals at ${MAX_FORCED_RETRIES} extra attempts`, async () => {
    const t = task("flaky", async () => {
      throw retry("forever");
    });
    const { run: r } = await run(t);
    assert.equal(r.state.name, "Failed");
    assert.equal(r.attempts, 1 + MAX_FORCED_RETRIES);
    assert.match(r.state.message ?? "", /beyond the limit/);
  });

  it("cancelling during a retry wait ends the run at once", async () => {
    const controller = new AbortController();
    const t = flaky(5, { retries: 3, retryDelayMs: 10_000 });
    const f = flow("cancel-in-wait", () => t());
    const started = Date.now();
    const result = await f.run({
      ...quiet,
      signal: controller.signal,
      observers: [(e) => e.type === "task-run-state" && e.state.name === "Retrying" && controller.abort()],
    });
    assert.equal(result.state.name, "Cancelled");
    assert.equal(result.taskRun("flaky")!.state.name, "Cancelled");
    assert.ok(Date.now() - started < 2000);
  });
});
