import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RESULT_LIMIT_BYTES, logForApi, resultRecorded, stateForApi } from "../../src/deployment/api-state.js";
import { StateInputSchema } from "../../src/api/common.js";
import { LogInputSchema } from "../../src/api/logs.js";
import { makeState } from "../../src/core/states.js";
import type { TaskRun } from "../../src/client/index.js";
import { resumableTaskRuns } from "../../src/deployment/flow-run-entry.js";

describe("stateForApi", () => {
  it("keeps the known fields and a JSON result, and the API schema accepts it", () => {
    const state = makeState("Success", { result: { n: [1, 2] }, attempt: 2, cached: true, message: "ok" });
    const out = stateForApi(state);
    assert.deepEqual(out, { name: "Success", timestamp: state.timestamp, result: { n: [1, 2] }, message: "ok", attempt: 2, cached: true });
    assert.equal(StateInputSchema.safeParse(out).success, true);
    assert.equal(resultRecorded(out), true);
  });

  it("leaves out a result that is not JSON or too big, and marks a Success state so a later attempt reruns the task", () => {
    const big = stateForApi(makeState("Success", { result: "x".repeat(RESULT_LIMIT_BYTES + 1) }));
    assert.equal(big.result, undefined);
    assert.match(big.message!, /^Result not recorded on the server: it is \d+ characters of JSON/);
    assert.equal(resultRecorded(big), false);
    const bigint = stateForApi(makeState("Success", { result: 10n }));
    assert.equal(bigint.result, undefined);
    assert.match(bigint.message!, /not JSON/);
    assert.equal(StateInputSchema.safeParse(bigint).success, true);
  });

  it("turns a result into plain JSON (a Date becomes its string) and cuts long messages and stacks", () => {
    const date = new Date("2026-01-02T03:04:05.000Z");
    assert.equal(stateForApi(makeState("Success", { result: date })).result, "2026-01-02T03:04:05.000Z");
    const failed = stateForApi(
      makeState("Failed", { message: "m".repeat(30_000), error: { name: "Error", message: "e", stack: "s".repeat(50_000), code: "TASK_FAILED" } }),
    );
    assert.ok(failed.message!.length <= 20_000);
    assert.ok(failed.error!.stack!.length <= 10_000);
    assert.equal(failed.error!.code, "TASK_FAILED");
    assert.equal(StateInputSchema.safeParse(failed).success, true);
  });
});

describe("logForApi", () => {
  it("puts the task's name and map index into the fields and the server's task-run id on the line", () => {
    const out = logForApi(
      {
        level: "info",
        message: "hi",
        timestamp: "2026-01-01T00:00:00.000Z",
        flowRunId: "r",
        taskRunId: "runner-id",
        taskName: "square",
        mapIndex: 2,
        fields: { x: 1 },
      },
      "server-id",
    );
    assert.deepEqual(out, {
      flowRunId: "r",
      taskRunId: "server-id",
      level: "info",
      message: "hi",
      timestamp: "2026-01-01T00:00:00.000Z",
      fields: { x: 1, taskName: "square", mapIndex: 2 },
    });
    assert.equal(LogInputSchema.safeParse(out).success, true);
  });

  it("replaces fields that are not JSON instead of failing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const out = logForApi({ level: "warn", message: "m", timestamp: "2026-01-01T00:00:00.000Z", flowRunId: "r", fields: { ok: 1, cyclic } }, undefined);
    assert.deepEqual(out.fields, { ok: 1, cyclic: "[not JSON: object]" });
    assert.equal(out.taskRunId, undefined);
  });
});

describe("resumableTaskRuns", () => {
  it("reuses Success task runs whose result was recorded and Skipped ones; reruns the rest", () => {
    const taskRun = (taskKey: string, mapIndex: number, state: ReturnType<typeof stateForApi>) =>
      ({ id: `id-${taskKey}-${mapIndex}`, taskKey, mapIndex, state }) as unknown as TaskRun;
    const resumed = resumableTaskRuns([
      taskRun("a", -1, stateForApi(makeState("Success", { result: 1 }))),
      taskRun("b", 2, stateForApi(makeState("Success", { result: 10n }))),
      taskRun("c", -1, stateForApi(makeState("Skipped"))),
      taskRun("d", -1, stateForApi(makeState("Failed"))),
      taskRun("e", -1, stateForApi(makeState("Mapped", { mapCount: 3 }))),
    ]);
    assert.deepEqual(
      resumed.map((r) => [r.taskKey, r.mapIndex, r.taskRunId, r.state.name]),
      [
        ["a", null, "id-a--1", "Success"],
        ["c", null, "id-c--1", "Skipped"],
      ],
    );
  });
});
