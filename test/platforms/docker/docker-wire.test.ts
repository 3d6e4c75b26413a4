import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeState, type FlowRunResult, type RunEvent, type Ref } from "sluice";
import { signalOfExitCode } from "../../../src/platforms/docker/container-run.js";
import { endState } from "../../../src/platforms/docker/docker-environment.js";
import { eventLine, parseOutputLine, resultLine } from "../../../src/deployment/event-lines.js";
import { containerExit } from "./docker-fixture.js";
import { RemoteRunTracker, remoteResult } from "../../../src/platforms/docker/remote-result.js";

const taskEvent = (taskRunId: string, taskKey: string, name: Parameters<typeof makeState>[0], mapIndex: number | null = null, result?: unknown): RunEvent => ({
  type: "task-run-state",
  flowRunId: "run-1",
  taskRunId,
  taskKey,
  taskName: taskKey,
  mapIndex,
  state: makeState(name, result === undefined ? {} : { result }),
});

const exit = containerExit;

describe("container wire format", () => {
  it("round-trips events and results; other lines are text", () => {
    const event = taskEvent("t1", "a", "Success", null, { n: 1 });
    assert.deepEqual(parseOutputLine(eventLine(event)), { kind: "event", event });
    const result = { flowRunId: "run-1", flowName: "f", state: makeState("Success"), taskRuns: [], value: [1, "x"] } as unknown as FlowRunResult;
    const parsed = parseOutputLine(resultLine(result));
    assert.equal(parsed.kind, "result");
    assert.deepEqual(parsed.kind === "result" && parsed.result.value, [1, "x"]);
    assert.deepEqual(parseOutputLine('hello {"type":1}'), { kind: "text", text: 'hello {"type":1}' });
    assert.deepEqual(parseOutputLine("@@sluice-event not json"), { kind: "text", text: "@@sluice-event not json" });
  });

  it("drops a result that is not JSON instead of failing the line", () => {
    const event = taskEvent("t1", "a", "Success", null, 10n);
    const parsed = parseOutputLine(eventLine(event));
    assert.equal(parsed.kind === "event" && parsed.event.type === "task-run-state" && parsed.event.state.result, undefined);
  });
});

describe("remote run results", () => {
  it("rebuilds task runs in the flow's order, attempts, and result lookups by ref", () => {
    const tracker = new RemoteRunTracker("run-1", "f");
    for (const e of [
      taskEvent("b1", "b", "Running"),
      taskEvent("a1", "a", "Running"),
      taskEvent("a1", "a", "Retrying"),
      taskEvent("a1", "a", "Running"),
      taskEvent("a1", "a", "Success", null, [1, 2]),
      taskEvent("m1", "m", "Success", 1, 20),
      taskEvent("m0", "m", "Success", 0, 10),
      taskEvent("b1", "b", "Success", null, 3),
    ])
      tracker.apply(e);
    tracker.apply({ type: "flow-run-state", flowRunId: "run-1", flowName: "f", state: makeState("Success") });
    const result = tracker.result(["a", "m", "b"], { p: 5 });
    assert.deepEqual(
      result.taskRuns.map((t) => `${t.taskKey}:${t.mapIndex}`),
      ["a:null", "m:0", "m:1", "b:null"],
    );
    assert.equal(result.taskRun("a")?.attempts, 2);
    const ref = (key: string, mapped = false, source: "task" | "parameter" = "task") => ({ key, mapped, source, flowName: "f" }) as unknown as Ref<unknown>;
    assert.deepEqual(result.result(ref("a")), [1, 2]);
    assert.deepEqual(result.result(ref("m", true)), [10, 20]);
    assert.equal(result.result(ref("p", false, "parameter")), 5);
    assert.equal(result.taskRun("m", 1)?.state.result, 20);
    assert.equal(result.state.name, "Success");
  });

  it("ends unfinished task runs and the flow run with the container's end, once", () => {
    const tracker = new RemoteRunTracker("run-1", "f");
    tracker.apply(taskEvent("a1", "a", "Success"));
    tracker.apply(taskEvent("b1", "b", "Running"));
    const killed = endState(exit({ exitCode: 137, signal: "SIGKILL" }), tracker.flowState);
    const events = tracker.close(killed);
    assert.deepEqual(
      events.map((e) => e.type),
      ["task-run-state", "flow-run-state"],
    );
    assert.equal(tracker.result([], {}).taskRun("b")?.state.name, "Failed");
    assert.equal(tracker.result([], {}).taskRun("a")?.state.name, "Success");
    assert.match(tracker.result([], {}).state.message ?? "", /killed by SIGKILL \(exit code 137\)/);
    assert.deepEqual(tracker.close(killed), [], "closing twice changes nothing");
  });

  it("uses the wire result as reported", () => {
    const result = remoteResult({ flowRunId: "r", flowName: "f", state: makeState("Failed", { message: "1 of 1 failed" }), taskRuns: [], value: null }, [], {});
    assert.equal(result.state.name, "Failed");
    assert.equal(result.value, null);
  });
});

describe("container outcomes", () => {
  it("maps exit codes above 128 to signals", () => {
    assert.equal(signalOfExitCode(137), "SIGKILL");
    assert.equal(signalOfExitCode(143), "SIGTERM");
    assert.equal(signalOfExitCode(1), undefined);
  });

  it("says why a run ended when its container ended first", () => {
    assert.match(endState(exit({ exitCode: 137, signal: "SIGKILL" }), undefined).message ?? "", /container 0123456789ab was killed by SIGKILL/);
    assert.equal(endState(exit({ exitCode: 137, signal: "SIGKILL" }), undefined).name, "Failed");
    assert.match(endState(exit({ exitCode: 137, oomKilled: true }), undefined).message ?? "", /OOMKilled/);
    assert.match(
      endState(exit({ exitCode: 2, stderrTail: ["error: flow module x failed to load"] }), undefined).message ?? "",
      /exited with code 2 .*failed to load/,
    );
    // A cancel sends SIGINT, then SIGKILL after the grace time: a container killed after a cancel ended Cancelled.
    assert.equal(endState(exit({ exitCode: 137, signal: "SIGKILL", cancelled: true }), undefined).name, "Cancelled");
    // Stopped from outside (docker stop) without a result line: Failed, naming the signal.
    assert.match(endState(exit({ exitCode: 143, signal: "SIGTERM" }), undefined).message ?? "", /was killed by SIGTERM \(exit code 143\)/);
    const reported = makeState("Failed", { message: "flow module failed to load" });
    assert.equal(endState(exit({ exitCode: 2 }), reported), reported, "the run's own Failed state wins when no signal killed it");
  });
});
