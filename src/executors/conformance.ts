/**
 * The executor conformance suite. Every executor's test file calls it:
 *
 * ```ts
 * runExecutorConformance("workers", () => new WorkersExecutor({ maxWorkers: 2 }));
 * ```
 *
 * It runs the flows of conformance-flows.ts (importable by FlowLocator from other threads and processes)
 * and checks what any executor must give: a success chain, map/reduce with children's results in order
 * and an empty map, retries (by error and by signal), timeouts, failure propagation through triggers,
 * skip/fail signals, cancellation that ends cleanly even when a task ignores its signal, and task logs
 * reaching observers with their run context.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunEvent } from "../core/events.js";
import type { Executor } from "../core/executor.js";
import type { FlowRunResult } from "../core/flow-options.js";
import { createLogger, type Logger } from "../core/logger.js";
import { cancelFlow, chainFlow, logFlow, mapReduceFlow, retryFlow, timeoutFlow, triggerFlow } from "./conformance-flows.js";

export interface ConformanceOptions {
  /** Per-test time limit in ms. @default 20000 */
  timeoutMs?: number;
  /** Called after each test with the executor it used (e.g. to stop a broker). @default undefined */
  cleanup?: (executor: Executor) => void | Promise<void>;
}

const stateOf = (result: FlowRunResult, key: string, mapIndex: number | null = null): string | undefined => result.taskRun(key, mapIndex)?.state.name;

/** Registers the conformance tests (node:test) for the executor made by `makeExecutor`. */
export function runExecutorConformance(name: string, makeExecutor: () => Executor | Promise<Executor>, options: ConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 20_000;
  const withExecutor = async <T>(body: (executor: Executor) => Promise<T>): Promise<T> => {
    const executor = await makeExecutor();
    try {
      return await body(executor);
    } finally {
      await options.cleanup?.(executor);
    }
  };

  describe(`executor conformance: ${name}`, { timeout }, () => {
    it("runs a chain of tasks, passing results downstream", () =>
      withExecutor(async (executor) => {
        const result = await chainFlow.run({ executor, parameters: { start: 10 }, logLevel: "silent" });
        assert.equal(result.state.name, "Success", result.state.message);
        assert.equal(result.value, 13);
        assert.deepEqual(
          result.taskRuns.map((t) => [t.taskKey, t.state.name, t.attempts]),
          [
            ["add-one", "Success", 1],
            ["add-one-2", "Success", 1],
            ["add-one-3", "Success", 1],
          ],
        );
      }));

    it("maps and reduces; mapped children's results keep their order; an empty map reduces to []", () =>
      withExecutor(async (executor) => {
        const result = await mapReduceFlow.run({ executor, parameters: { xs: [1, 2, 3, 4, 5] }, logLevel: "silent" });
        assert.equal(result.state.name, "Success", result.state.message);
        assert.deepEqual(result.value, { squares: [1, 4, 9, 16, 25], total: 55, ordered: [1, 2, 3, 4, 5], emptySum: 0 });
        assert.equal(stateOf(result, "square"), "Mapped");
        assert.equal(result.taskRun("square")?.state.mapCount, 5);
        assert.equal(result.taskRun("square-2")?.state.mapCount, 0);
        assert.deepEqual(
          result.taskRuns.filter((t) => t.taskKey === "square").map((t) => t.mapIndex),
          [null, 0, 1, 2, 3, 4],
        );
      }));

    it("retries failed attempts and honours retry signals", () =>
      withExecutor(async (executor) => {
        const events: RunEvent[] = [];
        const result = await retryFlow.run({ executor, parameters: { failTimes: 2 }, observers: [(e) => events.push(e)], logLevel: "silent" });
        assert.equal(result.state.name, "Success", result.state.message);
        assert.deepEqual(result.value, { flaky: 3, asksAgain: 2 });
        assert.equal(result.taskRun("flaky")?.attempts, 3);
        const flakyStates = events.flatMap((e) => (e.type === "task-run-state" && e.taskKey === "flaky" ? [e.state.name] : []));
        assert.deepEqual(flakyStates, ["Pending", "Running", "Retrying", "Running", "Retrying", "Running", "Success"]);
        const failing = await retryFlow.run({ executor, parameters: { failTimes: 9 }, logLevel: "silent" });
        assert.equal(failing.state.name, "Failed");
        assert.equal(failing.taskRun("flaky")?.attempts, 4);
        assert.match(failing.taskRun("flaky")?.state.error?.message ?? "", /attempt 4 fails on purpose/);
      }));

    it("ends an attempt that runs past its timeout as TimedOut", () =>
      withExecutor(async (executor) => {
        const started = Date.now();
        const result = await timeoutFlow.run({ executor, logLevel: "silent" });
        assert.equal(stateOf(result, "slow"), "TimedOut");
        assert.equal(result.state.name, "Failed");
        assert.equal(result.taskRun("slow")?.state.error?.code, "TASK_TIMED_OUT");
        assert.ok(Date.now() - started < 5000, "the run did not wait for the task");
      }));

    it("propagates failures through triggers and honours skip and fail signals", () =>
      withExecutor(async (executor) => {
        const result = await triggerFlow.run({ executor, logLevel: "silent" });
        assert.equal(result.state.name, "Failed");
        assert.equal(stateOf(result, "boom"), "Failed");
        assert.equal(result.taskRun("boom")?.state.error?.message, "boom");
        assert.equal(stateOf(result, "after"), "TriggerFailed");
        assert.equal(stateOf(result, "handler"), "Success");
        assert.equal(stateOf(result, "cleanup"), "Success");
        assert.equal(stateOf(result, "quits"), "Skipped");
        assert.equal(result.taskRun("quits")?.state.message, "nothing to do");
        assert.equal(stateOf(result, "after-2"), "Skipped");
        assert.equal(stateOf(result, "refuses"), "Failed");
        assert.equal(result.taskRun("refuses")?.attempts, 1, "a fail signal is not retried");
      }));

    it("cancels: running tasks end Cancelled, pending ones too, and the run resolves even if a task ignores its signal", () =>
      withExecutor(async (executor) => {
        const controller = new AbortController();
        const observers = [
          (e: RunEvent) => {
            if (e.type === "task-run-state" && e.taskKey === "waits" && e.state.name === "Running") setTimeout(() => controller.abort(), 50);
          },
        ];
        const started = Date.now();
        const result = await cancelFlow.run({ executor, signal: controller.signal, observers, cancelGraceMs: 300, logLevel: "silent" });
        assert.equal(result.state.name, "Cancelled");
        assert.equal(stateOf(result, "waits"), "Cancelled");
        assert.equal(stateOf(result, "after"), "Cancelled");
        assert.equal(stateOf(result, "stubborn"), "Cancelled");
        assert.ok(Date.now() - started < 5000, `the run took ${Date.now() - started} ms to end`);
      }));

    it("sends task logs to observers with their run context", () =>
      withExecutor(async (executor) => {
        const events: RunEvent[] = [];
        const result = await logFlow.run({ executor, observers: [(e) => events.push(e)], logLevel: "info", logger: silentLogger() });
        assert.equal(result.state.name, "Success");
        const logs = events.flatMap((e) => (e.type === "log" ? [e.record] : []));
        assert.equal(logs.length, 1, "the debug record is below the run's level");
        const [record] = logs;
        assert.equal(record?.message, "hello from a task");
        assert.equal(record?.level, "info");
        assert.deepEqual(record?.fields, { answer: 42 });
        assert.equal(record?.flowRunId, result.flowRunId);
        assert.equal(record?.taskRunId, result.taskRun("talker")?.taskRunId);
        assert.equal(record?.taskName, "talker");
      }));
  });
}

/** A pino logger that writes nowhere, at level info. */
function silentLogger(): Logger {
  return createLogger({ level: "info", destination: { write: () => undefined } });
}
