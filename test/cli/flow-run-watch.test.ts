/**
 * `sluice flow-run watch` shows what `sluice run` shows: every state of every task run (each attempt, each
 * retry with its error) and every log line, in the order they happened. First the snapshot differ with
 * plain objects, then the real binary: examples/etl.ts (a mapped task, a load that fails its first
 * attempt) run through the server, watched after it ended and while it runs, against `sluice run`'s
 * plain output of the same flow.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FlowRun, LogRecord, TaskRun } from "../../src/client/index.js";
import { SnapshotEvents, timeline } from "../../src/cli/display/snapshot-events.js";
import type { RunEvent } from "../../src/core/events.js";
import type { State } from "../../src/core/states.js";
import { json, startSluice } from "../e2e/support.js";
import { cliServer } from "./server-suite.js";

const at = (ms: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString();
const st = (name: string, ms: number, extra: Partial<State> = {}): State => ({ name, timestamp: at(ms), ...extra }) as State;
const flowRun = (state: State): FlowRun => ({ id: "r", flowName: "f", state }) as FlowRun;
const taskRun = (id: string, key: string, mapIndex: number, states: State[]): TaskRun =>
  ({ id, taskKey: key, taskName: key, mapIndex, version: states.length, state: states.at(-1)! }) as TaskRun;
const log = (id: string, taskRunId: string, taskName: string, message: string, ms: number): LogRecord =>
  ({ id, flowRunId: "r", taskRunId, level: "info", message, timestamp: at(ms), fields: { taskName } }) as LogRecord;
const show = (events: RunEvent[]): string[] =>
  events.map((e) =>
    e.type === "log"
      ? `log ${e.record.message}`
      : e.type === "flow-run-state"
        ? `flow ${e.state.name}`
        : `${e.taskKey}${e.mapIndex === null ? "" : `[${e.mapIndex}]`} ${e.state.name}`,
  );

describe("watch: snapshots to run events", () => {
  it("a task run that changed several times between polls shows every state from its history, retries included", () => {
    const differ = new SnapshotEvents();
    const load = [
      st("Pending", 1),
      st("Running", 2, { attempt: 1 }),
      st("Retrying", 3, { attempt: 1, error: { name: "Error", message: "database connection reset" } } as Partial<State>),
      st("Running", 4, { attempt: 2 }),
      st("Success", 5, { attempt: 2 }),
    ];
    const taskRuns = [taskRun("t1", "load", -1, load)];
    assert.deepEqual(differ.historyNeeded(taskRuns), ["t1"]);
    const events = differ.events({ run: flowRun(st("Running", 0)), taskRuns, logs: [], histories: new Map([["t1", load]]) });
    assert.deepEqual(show(events), ["flow Running", "load Pending", "load Running", "load Retrying", "load Running", "load Success"]);
    const retry = events[3] as Extract<RunEvent, { type: "task-run-state" }>;
    assert.equal(retry.state.error?.message, "database connection reset");
    assert.deepEqual(differ.historyNeeded(taskRuns), [], "nothing new: no history to read");
    assert.deepEqual(differ.events({ run: flowRun(st("Running", 0)), taskRuns, logs: [] }), []);
  });

  it("shows only the states after the ones already shown, and none newer than the snapshot", () => {
    const differ = new SnapshotEvents();
    const history = [st("Pending", 1), st("Running", 2), st("Retrying", 3), st("Running", 4), st("Success", 5)];
    differ.events({
      run: flowRun(st("Running", 0)),
      taskRuns: [taskRun("t", "k", -1, history.slice(0, 2))],
      logs: [],
      histories: new Map([["t", history.slice(0, 2)]]),
    });
    const snapshot = [taskRun("t", "k", -1, history.slice(0, 4))];
    assert.deepEqual(differ.historyNeeded(snapshot), ["t"]);
    // The history was read after the task runs: it already holds Success, which this snapshot does not.
    const events = differ.events({ run: flowRun(st("Running", 0)), taskRuns: snapshot, logs: [], histories: new Map([["t", history]]) });
    assert.deepEqual(show(events), ["k Retrying", "k Running"]);
    assert.deepEqual(show(differ.events({ run: flowRun(st("Success", 6)), taskRuns: [taskRun("t", "k", -1, history)], logs: [] })), [
      "k Success",
      "flow Success",
    ]);
  });

  it("orders task states and log lines by time across task runs, whatever order the server lists them in", () => {
    const differ = new SnapshotEvents(["extract", "transform", "load"]);
    const load = [st("Pending", 1), st("Running", 30), st("Success", 40)];
    const child0 = [st("Pending", 10), st("Running", 11), st("Success", 12)];
    const child1 = [st("Pending", 10), st("Running", 13), st("Success", 14)];
    const parent = [st("Pending", 1), st("Mapped", 9, { mapCount: 2 })];
    const runs = [
      taskRun("l", "load", -1, load),
      taskRun("c1", "transform", 1, child1),
      taskRun("c0", "transform", 0, child0),
      taskRun("p", "transform", -1, parent),
    ];
    const events = differ.events({
      run: flowRun(st("Success", 50)),
      taskRuns: runs,
      logs: [log("1", "l", "load", "loaded 2 rows", 40), log("2", "c0", "transform", "converting", 11)],
      histories: new Map([
        ["l", load],
        ["c1", child1],
        ["c0", child0],
        ["p", parent],
      ]),
    });
    assert.deepEqual(show(events), [
      "transform Pending",
      "load Pending",
      "transform Mapped",
      "transform[0] Pending",
      "transform[1] Pending",
      "transform[0] Running",
      "log converting",
      "transform[0] Success",
      "transform[1] Running",
      "transform[1] Success",
      "load Running",
      "log loaded 2 rows",
      "load Success",
      "flow Success",
    ]);
  });

  it("within one millisecond, an upstream task's states come before its downstream task's, a map's children by index", () => {
    const differ = new SnapshotEvents(["transform", "load"]);
    const load = [st("Pending", 1), st("Running", 7)];
    const child1 = [st("Pending", 5), st("Running", 7), st("Success", 7)];
    const child0 = [st("Pending", 5), st("Running", 6), st("Success", 7)];
    const runs = [taskRun("l", "load", -1, load), taskRun("c1", "transform", 1, child1), taskRun("c0", "transform", 0, child0)];
    const events = differ.events({
      run: flowRun(st("Running", 0)),
      taskRuns: runs,
      logs: [],
      histories: new Map([
        ["l", load],
        ["c1", child1],
        ["c0", child0],
      ]),
    });
    assert.deepEqual(show(events).slice(1), [
      "load Pending",
      "transform[0] Pending",
      "transform[1] Pending",
      "transform[0] Running",
      "transform[0] Success",
      "transform[1] Running",
      "transform[1] Success",
      "load Running",
    ]);
  });

  it("shows every flow-run state from its history, the finished one last", () => {
    const differ = new SnapshotEvents();
    const history = [st("Scheduled", 0), st("Submitted", 1), st("Running", 2), st("Success", 9)];
    const run = flowRun(st("Success", 9));
    assert.equal(differ.flowHistoryNeeded(run), true);
    const events = differ.events({ run, flowStates: history, taskRuns: [taskRun("t", "k", -1, [st("Success", 5)])], logs: [] });
    assert.deepEqual(show(events), ["flow Scheduled", "flow Submitted", "flow Running", "k Success", "flow Success"]);
    assert.equal(differ.flowHistoryNeeded(run), false);
  });

  it("timeline: a log line goes before its own task's end in the same millisecond, after other task runs' states", () => {
    const task = (id: string, name: string, ms: number): Extract<RunEvent, { type: "task-run-state" }> => ({
      type: "task-run-state",
      flowRunId: "r",
      taskRunId: id,
      taskKey: id,
      taskName: id,
      mapIndex: null,
      state: st(name, ms),
    });
    const line = (taskRunId: string, ms: number): Extract<RunEvent, { type: "log" }> => ({
      type: "log",
      record: { level: "info", message: `from ${taskRunId}`, timestamp: at(ms), flowRunId: "r", taskRunId },
    });
    const out = timeline([task("a", "Running", 5), task("b", "Success", 5), task("a", "Success", 5)], [line("a", 5), line("b", 6)]);
    assert.deepEqual(show(out), ["a Running", "b Success", "log from a", "a Success", "log from b"]);
  });
});

/** Lines of plain output reduced to what both commands print: task states (no durations) and the tasks' log lines. */
function taskAndLogLines(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d{3} /, ""))
    .filter((l) => l.startsWith("task ") || /^(INFO|WARN|ERROR|DEBUG) +\[/.test(l))
    .map((l) =>
      l
        .replace(/ \(\d+(\.\d+)? ?(ms|s)\)/, "")
        .replace(/\s+\{.*\}$/, "")
        .replace(/\s+/g, " "),
    );
}

describe("flow-run watch against a server", { timeout: 180_000 }, () => {
  const server = cliServer("watch", "examples/etl.ts");
  const { env, sluice, execute } = server;
  const create = (...args: string[]) => server.create("etl", ...args);

  it("a finished run: the same task lines as `sluice run`, in the same order, with the failed first attempt", async () => {
    const local = await sluice("run", "examples/etl.ts", "--param", "n=3");
    assert.equal(local.code, 0, local.stderr);
    const id = await create("--param", "n=3");
    const executed = await execute(id);
    assert.equal(executed.code, 0, executed.stderr.slice(-2000));
    const watched = await sluice("flow-run", "watch", id, "--interval", "100");
    assert.equal(watched.code, 0, watched.stderr);
    const expected = taskAndLogLines(local.stdout);
    assert.ok(expected.includes("task load Retrying: database connection reset"), local.stdout);
    assert.deepEqual(taskAndLogLines(watched.stdout), expected, `watch:\n${watched.stdout}\nrun:\n${local.stdout}`);
    const flowLines = watched.stdout
      .split("\n")
      .filter((l) => / flow etl /.test(l))
      .map((l) => l.replace(/^\S+ flow etl (\w+).*$/, "$1"));
    assert.deepEqual([flowLines[0], ...flowLines.slice(-2)], ["Scheduled", "Running", "Success"], watched.stdout);
    const shown = await sluice("flow-run", "show", id);
    assert.match(shown.stdout, /load +Success +2 /, "show reports the two attempts the watch printed");
  });

  it("a run watched while it runs: every task state once, retries included, in time order", async () => {
    const id = await create("--param", "n=4");
    const watching = startSluice(["flow-run", "watch", id, "--interval", "50"], env(), 90_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const executed = await execute(id);
    assert.equal(executed.code, 0, executed.stderr.slice(-2000));
    const watched = await watching.done;
    assert.equal(watched.code, 0, watched.stderr);
    const lines = taskAndLogLines(watched.stdout).filter((l) => l.startsWith("task "));
    assert.deepEqual(
      lines.filter((l) => l.startsWith("task load")),
      ["task load Running", "task load Retrying: database connection reset", "task load Running", "task load Success"],
    );
    assert.equal(new Set(lines).size, lines.length - 1, `one line per state (load Running twice):\n${watched.stdout}`);
    const stamps = watched.stdout
      .split("\n")
      .filter((l) => /^\d\d:\d\d:\d\d\.\d{3} task /.test(l))
      .map((l) => l.slice(0, 12));
    assert.deepEqual(stamps, [...stamps].sort(), `task lines in time order:\n${watched.stdout}`);
    assert.ok(lines.indexOf("task transform[3] Success") < lines.indexOf("task load Running"), watched.stdout);
  });

  it("Ctrl-C stops watching a run that has not finished: exit 130, the run goes on", async () => {
    const id = await create();
    const watching = startSluice(["flow-run", "watch", id, "--interval", "100"], env(), 60_000);
    await watching.waitFor(/flow etl Scheduled/);
    const stopped = await watching.stop("SIGINT");
    assert.equal(stopped.code, 130, stopped.stderr);
    const run = json<FlowRun>(await sluice("flow-run", "show", id, "--json"));
    assert.equal((run as unknown as { flowRun: FlowRun }).flowRun.state.name, "Scheduled");
  });
});
