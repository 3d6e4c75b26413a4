import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { RunEvent } from "../../src/core/events.js";
import { SluiceError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/logger.js";
import { WorkersExecutor } from "../../src/executors/workers/index.js";
import { classResultFlow, chattyFlow, crashFlow, functionInputFlow, richResultFlow, spinFlow, whereFlow } from "./workers-fixtures/flows.js";

const FIXTURES = fileURLToPath(new URL("./workers-fixtures/flows.ts", import.meta.url));
const TIMEOUT = { timeout: 180_000 };
/** Run options that keep the runner's pino lines off stderr while observers still get info logs. */
const quiet = { logger: createLogger({ level: "silent" }), logLevel: "info" as const };

describe("WorkersExecutor", TIMEOUT, () => {
  it("runs task attempts in worker threads that load the TypeScript flow module", async () => {
    const result = await whereFlow.run({ ...quiet, parameters: { n: 6 }, executor: new WorkersExecutor({ threads: 2 }) });
    assert.equal(result.state.name, "Success", result.state.message);
    const rows = result.value as { i: number; mainThread: boolean; threadId: number }[];
    assert.deepEqual(
      rows.map((r) => r.i),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(rows.every((r) => !r.mainThread && r.threadId > 0));
    assert.ok(new Set(rows.map((r) => r.threadId)).size <= 2);
  });

  it("keeps a run's pool for the next run with the same options, and only for keepAliveMs", async () => {
    // Thread ids are unique in a process: the same id means the same (reused) thread.
    const threadOf = async (keepAliveMs: number): Promise<number> => {
      const result = await whereFlow.run({ ...quiet, parameters: { n: 2 }, executor: new WorkersExecutor({ threads: 1, tasksPerThread: 2, keepAliveMs }) });
      assert.equal(result.state.name, "Success", result.state.message);
      const ids = new Set((result.value as { threadId: number }[]).map((r) => r.threadId));
      assert.equal(ids.size, 1);
      return [...ids][0]!;
    };
    const first = await threadOf(400);
    assert.equal(await threadOf(400), first, "the second run reused the idle thread");
    await new Promise((resolve) => setTimeout(resolve, 900));
    const third = await threadOf(0);
    assert.notEqual(third, first, "the idle pool was stopped after keepAliveMs");
    assert.notEqual(await threadOf(0), third, "keepAliveMs 0 stops the threads when the run ends");
  });

  it("brings back structured-cloneable results whole (Map, Set, Date, bigint)", async () => {
    const result = await richResultFlow.run({ ...quiet, executor: new WorkersExecutor({ threads: 1 }) });
    assert.equal(result.state.name, "Success", result.state.message);
    assert.deepEqual(result.value, { map: new Map([["a", 1]]), set: new Set([2]), when: new Date(0), big: 10n });
  });

  it("fails a task whose result cannot be copied back, naming the task and the path", async () => {
    const result = await classResultFlow.run({ ...quiet, executor: new WorkersExecutor({ threads: 1 }) });
    assert.equal(result.state.name, "Failed");
    const run = result.taskRun("make-client")!;
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "NOT_SERIALIZABLE");
    assert.match(run.state.error!.message, /^task "make-client": result is a Client instance; it would arrive as a plain object/);
    assert.equal(run.attempts, 1);
    assert.equal(result.taskRun("use-client")!.state.name, "TriggerFailed");
  });

  it("fails a task whose input cannot be sent, naming the task and the path", async () => {
    const result = await functionInputFlow.run({ ...quiet, executor: new WorkersExecutor({ threads: 1 }) });
    const run = result.taskRun("send")!;
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "NOT_SERIALIZABLE");
    assert.match(run.state.error!.message, /^task "send": input\.client is a function/);
  });

  it("forwards a task's logs to the observers while it runs, before its final state", async () => {
    const events: RunEvent[] = [];
    const result = await chattyFlow.run({ ...quiet, parameters: { n: 30 }, executor: new WorkersExecutor({ threads: 1 }), observers: [(e) => events.push(e)] });
    assert.equal(result.state.name, "Success", result.state.message);
    const logs = events.flatMap((e, i) => (e.type === "log" ? [{ i, record: e.record }] : []));
    assert.deepEqual(
      logs.map((l) => l.record.message),
      Array.from({ length: 30 }, (_, i) => `line ${i}`),
    );
    assert.equal(logs[3]!.record.fields?.fn, "[function fn]");
    assert.equal(logs[3]!.record.taskName, "chatty");
    const success = events.findIndex((e) => e.type === "task-run-state" && e.taskKey === "chatty" && e.state.name === "Success");
    assert.ok(
      logs.every((l) => l.i < success),
      "every log record arrives before the task's Success",
    );
  });

  it("cancels a CPU-bound task that ignores its signal by stopping its thread after the grace period", async () => {
    const controller = new AbortController();
    const started = Date.now();
    const events: RunEvent[] = [];
    const running = spinFlow.run({
      ...quiet,
      parameters: { ms: 20_000 },
      executor: new WorkersExecutor({ threads: 1, cancelGraceMs: 200 }),
      signal: controller.signal,
      cancelGraceMs: 5_000,
      observers: [
        (e) => {
          events.push(e);
          if (e.type === "task-run-state" && e.state.name === "Running") setTimeout(() => controller.abort(), 100);
        },
      ],
    });
    const result = await running;
    assert.equal(result.state.name, "Cancelled");
    assert.equal(result.taskRun("spin")!.state.name, "Cancelled");
    assert.ok(Date.now() - started < 10_000, "the spinning thread was stopped long before the task would end");
  });

  it("fails the task, not the executor, when its worker thread dies, and keeps running other tasks", async () => {
    const executor = new WorkersExecutor({ threads: 1 });
    const result = await crashFlow.run({ ...quiet, executor });
    const run = result.taskRun("crash")!;
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "EXECUTOR_ERROR");
    assert.match(run.state.error!.message, /^task "crash": its worker thread failed: /);
    const after = await whereFlow.run({ ...quiet, parameters: { n: 2 }, executor });
    assert.equal(after.state.name, "Success", "the same executor starts a fresh pool for the next run");
  });

  it("refuses to start without a locator, and names a flow the worker cannot find", async () => {
    const executor = new WorkersExecutor({ threads: 1 });
    const base = { flowRunId: "fr", flow: whereFlow, onLog: () => undefined, signal: new AbortController().signal };
    await assert.rejects(
      executor.start({ ...base, locator: null }),
      (e: unknown) => e instanceof SluiceError && e.code === "EXECUTOR_ERROR" && /module is unknown/.test(e.message),
    );
    const session = await executor.start({ ...base, locator: { module: FIXTURES, flowName: "nope" } });
    try {
      const outcome = await session.submit(
        {
          flowName: "nope",
          flowRunId: "fr",
          taskRunId: "tr",
          taskKey: "where",
          taskName: "where",
          mapIndex: null,
          attempt: 1,
          input: 1,
          parameters: {},
          timeoutMs: null,
        },
        new AbortController().signal,
      );
      assert.equal(outcome.kind, "failed");
      assert.ok(
        outcome.kind === "failed" &&
          outcome.error.code === "FLOW_LOAD_FAILED" &&
          outcome.error.message.includes('has no flow named "nope"') &&
          outcome.error.message.includes('"where"'),
      );
    } finally {
      await session.close();
    }
  });

  it("validates its options, naming the field", () => {
    assert.throws(
      () => new WorkersExecutor({ threads: 0 }),
      (e: unknown) => e instanceof SluiceError && e.code === "INVALID_OPTION" && e.field === "threads",
    );
    assert.throws(
      () => new WorkersExecutor({ thread: 2 } as never),
      (e: unknown) => e instanceof SluiceError && e.field === "thread" && e.message.includes("known options"),
    );
    const executor = new WorkersExecutor({ threads: 2, tasksPerThread: 3 });
    assert.equal(executor.maxConcurrency, 12);
    assert.deepEqual(executor.describe(), { kind: "workers", options: { threads: 2, tasksPerThread: 3, maxQueue: 6, cancelGraceMs: 2000, keepAliveMs: 5000 } });
  });
});
