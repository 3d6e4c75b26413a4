/** Task runs (single and 1,000 at once, idempotent, per-item conflicts) and logs (batches, cursors, levels). */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";

export function taskRunAndLogTests(get: () => TestServer): void {
  it("upserts 1,000 task runs in one request and lists them in pages", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "tasks-many");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const updates = Array.from({ length: 1000 }, (_, i) => ({ taskKey: "load", mapIndex: i, taskName: "load", state: { name: "Running" as const } }));
    const results = await client.setTaskRunStates(run.id, updates);
    assert.equal(results.length, 1000);
    assert.ok(results.every((r) => r.ok && r.state === "Running" && r.version === 1));
    const done = await client.setTaskRunStates(
      run.id,
      updates.map((u) => ({ ...u, state: { name: "Success" as const } })),
    );
    assert.ok(done.every((r) => r.ok && r.version === 2));
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await client.listTaskRuns(run.id, { limit: 400, ...(cursor ? { cursor } : {}) });
      count += page.items.length;
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(count, 1000);
    const first = (await client.listTaskRuns(run.id, { limit: 1 })).items[0]!;
    assert.equal(first.mapIndex, 0, "creation order");
    assert.deepEqual(
      (await client.listTaskRunStates(first.id)).map((s) => s.name),
      ["Running", "Success"],
    );
  });

  it("applies task-run changes idempotently and reports refused ones per item", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "tasks-rules");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const pending = await client.setTaskRunStates(run.id, [{ taskKey: "extract" }]);
    assert.equal(pending[0]!.state, "Pending", "an update without a state creates a Pending task run");
    const timestamp = new Date().toISOString();
    const running = await client.setTaskRunState(run.id, "extract", -1, { name: "Running", timestamp }, { taskName: "Extract rows" });
    assert.equal(running.attempts, 1);
    assert.equal(running.taskName, "Extract rows");
    const replay = await client.setTaskRunState(run.id, "extract", -1, { name: "Running", timestamp });
    assert.equal(replay.version, running.version, "a replayed change is not applied twice");
    await client.setTaskRunState(run.id, "extract", -1, { name: "Retrying", message: "attempt 1 failed" });
    const second = await client.setTaskRunState(run.id, "extract", -1, { name: "Running", attempt: 2 });
    assert.equal(second.attempts, 2);
    await client.setTaskRunState(run.id, "extract", -1, { name: "Success", result: 42 });
    const conflict = await rejection(client.setTaskRunState(run.id, "extract", -1, { name: "Running" }));
    assert.equal(conflict.status, 409);
    const mixed = await client.setTaskRunStates(run.id, [
      { taskKey: "extract", state: { name: "Failed" } },
      { taskKey: "load", mapIndex: 0, state: { name: "Running" } },
      { taskKey: "load", mapIndex: 1, state: { name: "Running" }, expectedVersion: 7 },
    ]);
    assert.deepEqual(
      mixed.map((r) => r.ok),
      [false, true, false],
    );
    assert.equal(mixed[0]!.error?.code, "CONFLICT");
    const extract = (await client.listTaskRuns(run.id, { taskKey: "extract" })).items[0]!;
    assert.equal(extract.state.name, "Success");
    assert.equal(extract.state.result, 42);
    assert.equal((await rejection(client.setTaskRunStates("missing-run", [{ taskKey: "a" }]))).status, 404);
    assert.equal((await rejection(client.getTaskRun("missing"))).status, 404);
  });

  it("writes log batches and reads them with a cursor and a minimum level", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "logs-basic");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const levels = ["debug", "info", "warn", "error"] as const;
    const batch = Array.from({ length: 40 }, (_, i) => ({ flowRunId: run.id, level: levels[i % 4]!, message: `line ${i}`, fields: { i } }));
    assert.deepEqual(await client.writeLogs(batch), { count: 40 });
    const first = await client.readLogs(run.id, { limit: 25 });
    assert.equal(first.items.length, 25);
    assert.equal(first.items[0]!.message, "line 0");
    assert.deepEqual(first.items[3]!.fields, { i: 3 });
    const rest = await client.readLogs(run.id, { after: first.nextCursor });
    assert.deepEqual(
      rest.items.map((l) => l.message),
      Array.from({ length: 15 }, (_, i) => `line ${i + 25}`),
    );
    const empty = await client.readLogs(run.id, { after: rest.nextCursor });
    assert.equal(empty.items.length, 0);
    assert.equal(empty.nextCursor, rest.nextCursor, "an empty page keeps the cursor");
    const warnings = await client.readLogs(run.id, { level: "warn" });
    assert.equal(warnings.items.length, 20);
    assert.ok(warnings.items.every((l) => l.level === "warn" || l.level === "error"));
    const unknown = await rejection(
      client.writeLogs([
        { flowRunId: run.id, level: "info", message: "ok" },
        { flowRunId: "ghost", level: "info", message: "x" },
      ]),
    );
    assert.equal(unknown.status, 404);
    assert.equal(unknown.field, "logs.1.flowRunId");
    const badLevel = await rejection(client.writeLogs([{ flowRunId: run.id, level: "loud" as "info", message: "x" }]));
    assert.equal(badLevel.status, 422);
    assert.equal(badLevel.field, "logs.0.level");
  });

  it("follows a run's logs until the run finishes", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "logs-follow");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(run.id, { name: "Running" });
    await client.writeLogs([{ flowRunId: run.id, level: "info", message: "one" }]);
    const seen: string[] = [];
    const follow = (async () => {
      for await (const line of client.followLogs(run.id, { intervalMs: 20 })) seen.push(line.message);
    })();
    await new Promise((r) => setTimeout(r, 60));
    await client.writeLogs([{ flowRunId: run.id, level: "info", message: "two" }]);
    await client.setFlowRunState(run.id, { name: "Success" });
    await follow;
    assert.deepEqual(seen, ["one", "two"], "every line, then the follow ends with the run");
  });
}
