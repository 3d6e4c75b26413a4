import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RunEvent } from "../../src/core/events.js";
import { makeState, type StateName } from "../../src/core/states.js";
import { RunProgress } from "../../src/cli/display/progress.js";
import { countsLine, fit, formatDuration, progressBar, renderFrame, renderSummary, valueLine } from "../../src/cli/display/render.js";
import { plainLines } from "../../src/cli/display/plain.js";

const T0 = Date.parse("2024-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

const flowEvent = (name: StateName, ms: number, message?: string): RunEvent => ({
  type: "flow-run-state",
  flowRunId: "fr-1",
  flowName: "etl",
  state: makeState(name, { timestamp: at(ms), ...(message ? { message } : {}) }),
});

const taskEvent = (id: string, key: string, mapIndex: number | null, name: StateName, ms: number, extra: Record<string, unknown> = {}): RunEvent => ({
  type: "task-run-state",
  flowRunId: "fr-1",
  taskRunId: id,
  taskKey: key,
  taskName: key.replace(/-\d+$/, ""),
  mapIndex,
  state: makeState(name, { timestamp: at(ms), ...extra }),
});

describe("RunProgress", () => {
  it("counts task runs by current state and tracks the running ones in start order", () => {
    const p = new RunProgress("etl", 3, T0);
    for (const e of [
      flowEvent("Running", 0),
      taskEvent("a", "extract", null, "Pending", 1),
      taskEvent("b", "load", null, "Pending", 1),
      taskEvent("a", "extract", null, "Running", 2, { attempt: 1 }),
      taskEvent("b", "load", null, "Running", 3, { attempt: 1 }),
      taskEvent("a", "extract", null, "Success", 12, { attempt: 1 }),
    ])
      p.apply(e);
    assert.deepEqual(Object.fromEntries(p.counts), { Running: 1, Success: 1 });
    assert.deepEqual([...p.running], ["b"]);
    assert.equal(p.finished, 1);
    assert.equal(p.total, 3);
    assert.equal(p.taskRuns.get("a")!.endedAt! - p.taskRuns.get("a")!.startedAt!, 10);
  });

  it("adds mapped children to the total once the parent is Mapped", () => {
    const p = new RunProgress("etl", 3, T0);
    p.apply(taskEvent("m", "add", null, "Mapped", 5, { mapCount: 100 }));
    assert.equal(p.total, 103);
    assert.equal(p.finished, 1);
  });
});

describe("renderFrame", () => {
  it("shows the flow, a progress bar, counts and the running tasks with their elapsed time", () => {
    const p = new RunProgress("etl", 4, T0);
    p.apply(flowEvent("Running", 0));
    p.apply(taskEvent("a", "extract", null, "Success", 500));
    for (let i = 0; i < 7; i++) p.apply(taskEvent(`c${i}`, "add", i, "Running", 1000 + i * 100, { attempt: i === 0 ? 2 : 1 }));
    const lines = renderFrame(p, T0 + 3000, { width: 80, maxRunning: 3 });
    assert.equal(lines[0], "etl  Running  3.0 s");
    assert.match(lines[1]!, /^[█░]+ +\d+% {2}1\/8 task runs$/);
    assert.equal(lines[2], "Running 7 · Success 1");
    assert.deepEqual(lines.slice(3), ["  ▸ add[0]  2.0 s (attempt 2)", "  ▸ add[1]  1.9 s", "  ▸ add[2]  1.8 s", "  … 4 more running"]);
  });

  it("cuts lines to the terminal width and colours only when asked", () => {
    const p = new RunProgress("a-flow-with-a-really-long-name-that-does-not-fit-in-a-narrow-terminal", 1, T0);
    const lines = renderFrame(p, T0, { width: 30 });
    for (const l of lines) assert.ok(l.length <= 30, l);
    p.apply(taskEvent("a", "x", null, "Failed", 1));
    assert.ok(!countsLine(p).includes("\x1b["));
    assert.ok(countsLine(p, true).includes("\x1b[31m"));
    assert.equal(fit("\x1b[32mabc\x1b[0m", 10), "\x1b[32mabc\x1b[0m");
  });

  it("formats bars and durations", () => {
    assert.equal(progressBar(1, 4, 8), "██░░░░░░");
    assert.equal(progressBar(0, 0, 4), "░░░░");
    assert.equal(progressBar(9, 4, 4), "████");
    assert.equal(formatDuration(850), "850 ms");
    assert.equal(formatDuration(3210), "3.2 s");
    assert.equal(formatDuration(125_000), "2 m 05 s");
  });
});

describe("renderSummary", () => {
  it("gives the final state, counts and the task runs that did not succeed", () => {
    const p = new RunProgress("etl", 2, T0);
    p.apply(flowEvent("Running", 0));
    p.apply(taskEvent("a", "extract", null, "Success", 10));
    p.apply(taskEvent("b", "load", null, "Failed", 20, { error: { name: "Error", message: "disk full\nstack..." } }));
    p.apply(flowEvent("Failed", 30, "1 reference task failed"));
    const lines = renderSummary(p);
    assert.deepEqual(lines, [
      "Flow run etl (fr-1) ended Failed in 30 ms: 1 reference task failed",
      "  2 task runs: Success 1 · Failed 1",
      "  Failed load: disk full",
    ]);
  });

  it("lists at most maxListed failures", () => {
    const p = new RunProgress("etl", 1, T0);
    for (let i = 0; i < 5; i++) p.apply(taskEvent(`c${i}`, "add", i, "Cancelled", 1));
    const lines = renderSummary(p, { maxListed: 2 });
    assert.equal(lines.length, 2 + 2 + 1);
    assert.match(lines.at(-1)!, /and 3 more/);
  });
});

describe("valueLine", () => {
  it("shows short JSON values, cuts long ones and skips what is not JSON", () => {
    assert.equal(valueLine(14), "  value: 14");
    assert.equal(valueLine(undefined), null);
    assert.equal(
      valueLine(() => 1),
      null,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(valueLine(cyclic), null);
    assert.match(valueLine("x".repeat(500), 50)!, /^ {2}value: "x+… \(502 characters; see --json\)$/);
  });
});

describe("plainLines", () => {
  it("prints one line per state change of an unmapped task run, with durations and reasons", () => {
    const p = new RunProgress("etl", 1, T0);
    assert.deepEqual(plainLines(p, flowEvent("Running", 0)), ["00:00:00.000 flow etl Running"]);
    assert.deepEqual(plainLines(p, taskEvent("a", "extract", null, "Running", 5)), ["00:00:00.005 task extract Running"]);
    assert.deepEqual(plainLines(p, taskEvent("a", "extract", null, "Retrying", 9, { message: "Retrying in 1 s" })), [
      "00:00:00.009 task extract Retrying: Retrying in 1 s",
    ]);
    assert.deepEqual(plainLines(p, taskEvent("a", "extract", null, "Running", 1009)), ["00:00:01.009 task extract Running"]);
    assert.deepEqual(plainLines(p, taskEvent("a", "extract", null, "Success", 1020, { cached: true })), ["00:00:01.020 task extract Success (1.0 s) (cached)"]);
  });

  it("prints no line for the initial Pending state, and no repeated reason for Mapped", () => {
    const p = new RunProgress("etl", 1, T0);
    assert.deepEqual(plainLines(p, taskEvent("a", "extract", null, "Pending", 1)), []);
    assert.deepEqual(plainLines(p, taskEvent("m", "add", null, "Mapped", 2, { mapCount: 3, message: "Mapped over 3 elements" })), [
      "00:00:00.002 task add Mapped (3 children)",
    ]);
  });

  it("prints log records with their task", () => {
    const p = new RunProgress("etl", 1, T0);
    const lines = plainLines(p, {
      type: "log",
      record: { level: "info", message: "hello", timestamp: at(1), flowRunId: "fr-1", taskName: "add", mapIndex: 2, fields: { n: 1 } },
    });
    assert.deepEqual(lines, ['00:00:00.001 INFO  [add[2]] hello {"n":1}']);
  });

  it("prints small maps child by child", () => {
    const p = new RunProgress("etl", 1, T0);
    plainLines(p, taskEvent("m", "add", null, "Mapped", 1, { mapCount: 2 }));
    assert.deepEqual(plainLines(p, taskEvent("c0", "add", 0, "Success", 2)), ["00:00:00.002 task add[0] Success"]);
  });

  it("summarises large maps: a few failures, then one tally line when all children finished", () => {
    const p = new RunProgress("etl", 1, T0);
    assert.deepEqual(plainLines(p, taskEvent("m", "add", null, "Mapped", 1, { mapCount: 20 })), ["00:00:00.001 task add Mapped (20 children)"]);
    const out: string[] = [];
    for (let i = 0; i < 20; i++) {
      out.push(...plainLines(p, taskEvent(`c${i}`, "add", i, "Running", 10 + i)));
      const fails = i % 5 === 0;
      out.push(
        ...plainLines(p, taskEvent(`c${i}`, "add", i, fails ? "Failed" : "Success", 100 + i, fails ? { message: "boom" } : {}), { mapFailuresShown: 2 }),
      );
    }
    assert.deepEqual(out, [
      "00:00:00.100 task add[0] Failed (90 ms): boom",
      "00:00:00.105 task add[5] Failed (90 ms): boom",
      "00:00:00.110 task add: more children did not succeed; they are counted in the summary line",
      "00:00:00.119 task add: 20 mapped runs finished in 109 ms: 4 Failed, 16 Success",
    ]);
  });
});
