import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { flow, task, type TaskContext } from "sluice";
import { quiet, rejectsWith } from "./support.js";

describe("task()", () => {
  it("keeps the function callable directly and exposes compiled options with defaults", async () => {
    const double = task("double", async (x: number) => x * 2);
    assert.equal(double.name, "double");
    assert.equal(await double.fn(21, {} as TaskContext), 42);
    assert.deepEqual(
      { ...double.options, trigger: undefined },
      {
        input: undefined,
        retries: 0,
        retryDelayMs: 0,
        retryBackoff: "fixed",
        maxRetryDelayMs: Infinity,
        retryOnTimeout: false,
        timeoutMs: null,
        trigger: undefined,
        triggerName: "allSuccessful",
        skipOnUpstreamSkip: true,
        cache: undefined,
        tags: [],
        description: undefined,
      },
    );
  });

  it("rejects bad options with INVALID_OPTION naming the task, the field and the value", async () => {
    const fn = async () => 1;
    await rejectsWith(() => task("t", fn, { retries: -1 }), "INVALID_OPTION", /task "t"/, /retries/, /-1/, /whole number/);
    await rejectsWith(() => task("t", fn, { retries: 1.5 }), "INVALID_OPTION", /retries/);
    await rejectsWith(() => task("t", fn, { retryDelayMs: -5 }), "INVALID_OPTION", /retryDelayMs/);
    await rejectsWith(() => task("t", fn, { timeoutMs: 0 }), "INVALID_OPTION", /timeoutMs/, /> 0/);
    await rejectsWith(() => task("t", fn, { trigger: "sometimes" as never }), "INVALID_OPTION", /trigger/, /allSuccessful/, /manualOnly/);
    await rejectsWith(() => task("t", fn, { retryBackoff: "linear" as never }), "INVALID_OPTION", /retryBackoff/, /exponential/);
    await rejectsWith(() => task("t", fn, { cache: { key: () => "k" } as never }), "INVALID_OPTION", /cache\.ttlMs/);
    await rejectsWith(() => task("t", fn, { cache: { ttlMs: 10, key: "k" as never } }), "INVALID_OPTION", /cache\.key/);
    await rejectsWith(() => task("t", fn, { retrys: 2 } as never), "INVALID_OPTION", /retrys/, /unknown option/);
    await rejectsWith(() => task("t", fn, { tags: "a" as never }), "INVALID_OPTION", /tags/);
    await rejectsWith(() => task("t", fn, { input: {} as never }), "INVALID_OPTION", /input/, /zod/);
    await rejectsWith(() => task("", fn), "INVALID_OPTION", /non-empty name/);
    await rejectsWith(() => task("t", 5 as never), "INVALID_OPTION", /async function/);
  });

  it("refuses to be called outside a flow body, saying what to do instead", async () => {
    const t = task("lonely", async () => 1);
    await rejectsWith(() => t(), "GRAPH_INVALID", /"lonely"/, /outside a flow body/, /flow\.addTask/);
    await rejectsWith(() => t.map([] as never), "GRAPH_INVALID", /outside a flow body/);
  });

  it("knows its argument names from an input schema or a destructured parameter", () => {
    assert.deepEqual(task("a", async ({ value, limit = 3 }: { value: string; limit?: number }) => value + limit).argNames, ["value", "limit"]);
    assert.deepEqual(task("b", async () => 1).argNames, []);
    assert.equal(task("c", async (input: { x: number }) => input.x).argNames, null);
    assert.deepEqual(task("d", async (input) => input, { input: z.object({ x: z.number(), y: z.string() }) }).argNames, ["x", "y"]);
  });

  it("validates the input against its schema before each attempt: Failed naming the field, not retried", async () => {
    let calls = 0;
    const needsNumber = task(
      "needs-number",
      async ({ x }) => {
        calls++;
        return x + 1;
      },
      { input: z.object({ x: z.number() }), retries: 2 },
    );
    const f = flow("schema-check", { parameters: z.object({ x: z.unknown() }) }, (p) => needsNumber({ x: p.x as never }));
    const bad = await f.run({ ...quiet, parameters: { x: "seven" } });
    assert.equal(bad.state.name, "Failed");
    const run = bad.taskRun("needs-number")!;
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "INVALID_INPUT");
    assert.equal(run.state.error?.field, "x");
    assert.match(run.state.error?.message ?? "", /needs-number.*x: /);
    assert.equal(calls, 0);
    const good = await f.run({ ...quiet, parameters: { x: 7 } });
    assert.equal(good.value, 8);
  });

  it("gives the task its run context, a logger and a signal", async () => {
    let seen: Omit<TaskContext, "logger" | "signal"> | undefined;
    let signal: AbortSignal | undefined;
    const probe = task("probe", async (_: number, ctx: TaskContext) => {
      const { flowName, flowRunId, taskRunId, taskKey, taskName, mapIndex, attempt, parameters } = ctx;
      seen = { flowName, flowRunId, taskRunId, taskKey, taskName, mapIndex, attempt, parameters };
      signal = ctx.signal;
      assert.equal(typeof ctx.logger.info, "function");
      return 1;
    });
    const f = flow("ctx-flow", { parameters: z.object({ k: z.string().default("v") }) }, () => probe(1));
    const result = await f.run({ ...quiet, flowRunId: "fr-1" });
    assert.deepEqual(seen, {
      flowName: "ctx-flow",
      flowRunId: "fr-1",
      taskRunId: result.taskRun("probe")!.taskRunId,
      taskKey: "probe",
      taskName: "probe",
      mapIndex: null,
      attempt: 1,
      parameters: { k: "v" },
    });
    assert.ok(signal instanceof AbortSignal);
    assert.equal(signal.aborted, false);
  });
});
