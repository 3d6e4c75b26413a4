/** Flow runs: creation, parameter validation, idempotency, lists, state changes, conflicts. */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";

export function flowRunTests(get: () => TestServer): void {
  it("creates a run with the flow's defaults merged, labels from the environment, and a Scheduled state", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-basic", ["k8s"]);
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 3 } });
    assert.equal(run.state.name, "Scheduled");
    assert.deepEqual(run.parameters, { count: 3, mode: "fast" });
    assert.deepEqual(run.labels, ["k8s"]);
    assert.equal(run.flowName, "runs-basic");
    assert.equal(run.version, 1);
    const byName = await client.createFlowRun({ flowName: "runs-basic", parameters: { count: 1, mode: "slow" }, labels: ["z", "a"] });
    assert.equal(byName.flowId, flow.flowId);
    assert.deepEqual(byName.labels, ["a", "z"]);
    assert.deepEqual((await client.getFlowRun(run.id)).parameters, run.parameters);
  });

  it("answers 422 INVALID_PARAMETER naming every bad parameter", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-params");
    const error = await rejection(client.createFlowRun({ flowId: flow.flowId, parameters: { count: 0, mode: "medium", extra: true } }));
    assert.equal(error.status, 422);
    assert.equal(error.code, "INVALID_PARAMETER");
    assert.deepEqual((error.fields ?? []).map((f) => f.field).sort(), ["parameters.count", "parameters.extra", "parameters.mode"]);
    const missing = await rejection(client.createFlowRun({ flowId: flow.flowId }));
    assert.equal(missing.field, "parameters.count");
    assert.match(missing.message, /parameters\.count is required/);
  });

  it("answers 404 for an unknown flow and 422 when neither flowId nor flowName is given", async () => {
    const { client } = get();
    const unknown = await rejection(client.createFlowRun({ flowName: "never-registered" }));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.field, "flowName");
    const neither = await rejection(client.createFlowRun({ parameters: {} }));
    assert.equal(neither.status, 422);
    assert.equal(neither.field, "flowId");
    const missingRun = await rejection(client.getFlowRun("no-such-run"));
    assert.equal(missingRun.status, 404);
  });

  it("returns the same run for the same idempotency key", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "runs-idem");
    const a = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, idempotencyKey: "order-42" });
    const b = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, idempotencyKey: "order-42" });
    assert.equal(a.id, b.id);
    const raw = await fetch(`${server.url}/api/flow-runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ flowId: flow.flowId, parameters: { count: 1 }, idempotencyKey: "order-42" }),
    });
    assert.equal(raw.status, 200, "a replay answers 200, a creation 201");
    const runs = await client.listFlowRuns({ flowId: flow.flowId });
    assert.equal(runs.items.length, 1);
  });

  it("lists runs newest first with filters and pages", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-list");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.createFlowRun({ flowId: flow.flowId, parameters: { count: i + 1 } })).id);
    await client.setFlowRunState(ids[0]!, { name: "Running" });
    const first = await client.listFlowRuns({ flowId: flow.flowId, limit: 3 });
    assert.deepEqual(
      first.items.map((r) => r.id),
      [ids[4], ids[3], ids[2]],
    );
    assert.ok(first.nextCursor);
    const second = await client.listFlowRuns({ flowId: flow.flowId, limit: 3, cursor: first.nextCursor! });
    assert.deepEqual(
      second.items.map((r) => r.id),
      [ids[1], ids[0]],
    );
    assert.equal(second.nextCursor, undefined);
    const running = await client.listFlowRuns({ flowName: "runs-list", state: ["Running"] });
    assert.deepEqual(
      running.items.map((r) => r.id),
      [ids[0]],
    );
    const bad = await rejection(client.listFlowRuns({ limit: 5000 }));
    assert.equal(bad.status, 422);
    assert.equal(bad.field, "limit");
  });

  it("changes states with history, timestamps and legal transitions only", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-states");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const running = await client.setFlowRunState(run.id, { name: "Running", message: "started" });
    assert.equal(running.state.name, "Running");
    assert.equal(running.version, 2);
    assert.ok(running.startedAt);
    assert.ok(running.heartbeatAt, "entering Running starts the heartbeat clock");
    const done = await client.setFlowRunState(run.id, { name: "Success", result: { rows: 10 } });
    assert.ok(done.endedAt);
    assert.deepEqual(done.state.result, { rows: 10 });
    const history = await client.listFlowRunStates(run.id);
    assert.deepEqual(
      history.map((s) => s.name),
      ["Scheduled", "Running", "Success"],
    );

    const back = await rejection(client.setFlowRunState(run.id, { name: "Running" }));
    assert.equal(back.status, 409);
    assert.equal(back.code, "CONFLICT");
    assert.match(back.message, /finished \(Success\)/);
    const same = await client.setFlowRunState(run.id, { name: "Success" });
    assert.equal(same.version, done.version, "setting the finished state it is in is a no-op");
    const mapped = await rejection(client.setFlowRunState(run.id, { name: "Mapped" }));
    assert.equal(mapped.status, 409);
  });

  it("answers 409 on a version mismatch and treats a replayed change as applied", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-version");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const timestamp = new Date().toISOString();
    const first = await client.setFlowRunState(run.id, { name: "Running", timestamp }, { expectedVersion: 1 });
    assert.equal(first.version, 2);
    const replay = await client.setFlowRunState(run.id, { name: "Running", timestamp }, { expectedVersion: 1 });
    assert.equal(replay.version, 2, "the same change sent again (a retry) is recognized and not applied twice");
    const stale = await rejection(client.setFlowRunState(run.id, { name: "Failed" }, { expectedVersion: 1 }));
    assert.equal(stale.status, 409);
    assert.equal(stale.field, "expectedVersion");
    assert.equal((await client.getFlowRun(run.id)).state.name, "Running");
  });

  it("validates the state body: unknown state names are 422 on state.name", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-state-validation");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    // @ts-expect-error not a state name
    const error = await rejection(client.setFlowRunState(run.id, { name: "Exploded" }));
    assert.equal(error.status, 422);
    assert.equal(error.field, "state.name");
  });

  it("a flow run set Failed or Cancelled from outside ends its unfinished task runs with the reason", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "runs-end-tasks");
    const taskStates = async (runId: string): Promise<Record<string, { name: string; message?: string | undefined }>> =>
      Object.fromEntries((await client.listTaskRuns(runId, { limit: 50 })).items.map((t) => [`${t.taskKey}[${t.mapIndex}]`, t.state]));

    const failed = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(failed.id, { name: "Running" });
    await client.setTaskRunStates(failed.id, [
      { taskKey: "extract", state: { name: "Success", result: 1 } },
      { taskKey: "load", mapIndex: 0, state: { name: "Running" } },
      { taskKey: "load", mapIndex: 1, state: { name: "Retrying", message: "attempt 1 failed" } },
      { taskKey: "report" },
    ]);
    await client.setFlowRunState(failed.id, { name: "Failed", message: "the scheduler pod was OOM-killed" });
    const afterFail = await taskStates(failed.id);
    assert.equal(afterFail["extract[-1]"]!.name, "Success", "a finished task run keeps its state");
    for (const key of ["load[0]", "load[1]", "report[-1]"]) {
      assert.equal(afterFail[key]!.name, "Failed", `${key} ends with its flow run`);
      assert.equal(afterFail[key]!.message, "Its flow run ended Failed: the scheduler pod was OOM-killed");
    }

    const cancelled = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(cancelled.id, { name: "Running" });
    await client.setTaskRunStates(cancelled.id, [{ taskKey: "load", mapIndex: 0, state: { name: "Running" } }]);
    await client.setFlowRunState(cancelled.id, { name: "Cancelled", message: "cancelled by the user" });
    const afterCancel = await taskStates(cancelled.id);
    assert.equal(afterCancel["load[0]"]!.name, "Cancelled");
    assert.equal(afterCancel["load[0]"]!.message, "Its flow run ended Cancelled: cancelled by the user");
  });
}
