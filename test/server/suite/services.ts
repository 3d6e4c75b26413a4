/** The services, driven by tick(now): zombie killer, resurrection, cancellation. */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";
import { Resurrection, ZombieKiller } from "../../../src/server/index.js";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function serviceTests(get: () => TestServer): void {
  it("the zombie killer fails Running runs whose heartbeats stopped, with the reason, and their task runs", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "zombies");
    const silent = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const alive = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(silent.id, { name: "Running" });
    await client.setTaskRunState(silent.id, "extract", -1, { name: "Running" });
    await client.setFlowRunState(alive.id, { name: "Running" });
    await new Promise((r) => setTimeout(r, 20));
    await client.heartbeat(alive.id);
    const lastBeat = Date.parse((await client.getFlowRun(alive.id)).heartbeatAt!);
    const killer = new ZombieKiller(server.database, { heartbeatTimeoutMs: 5_000, intervalMs: 1_000, upSince: lastBeat - 60_000 }, quiet);

    assert.deepEqual((await killer.tick(lastBeat)).failed, [], "nothing is stale yet");
    const { failed } = await killer.tick(lastBeat + 5_000 - 5);
    assert.ok(failed.includes(silent.id));
    assert.ok(!failed.includes(alive.id), "a run that heartbeats is left alone");
    const dead = await client.getFlowRun(silent.id);
    assert.equal(dead.state.name, "Failed");
    assert.match(dead.state.message ?? "", /No heartbeat for .* zombie killer/);
    const task = (await client.listTaskRuns(silent.id)).items[0]!;
    assert.equal(task.state.name, "Failed");
    assert.equal((await client.getFlowRun(alive.id)).state.name, "Running");
    const late = await client.heartbeat(silent.id);
    assert.equal(late.state, "Failed", "a late heartbeat learns the run was failed");
  });

  it("after an outage the zombie killer counts silence from the restart: nothing fails before heartbeatTimeoutMs of uptime", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "zombies-outage");
    const alive = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const dead = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(alive.id, { name: "Running" });
    await client.setFlowRunState(dead.id, { name: "Running" });
    await client.setTaskRunState(dead.id, "extract", -1, { name: "Running" });
    await client.heartbeat(dead.id);
    const lastBeat = Math.max(Date.parse((await client.getFlowRun(alive.id)).heartbeatAt!), Date.parse((await client.getFlowRun(dead.id)).heartbeatAt!));
    const timeout = 5_000;
    // The server was down for 10 minutes after the last heartbeats, far longer than the timeout.
    const upSince = lastBeat + 10 * 60_000;
    const killer = new ZombieKiller(server.database, { heartbeatTimeoutMs: timeout, intervalMs: 1_000, upSince }, quiet);
    assert.deepEqual((await killer.tick(upSince)).failed, [], "right after the restart nothing is a zombie");
    assert.deepEqual((await killer.tick(upSince + timeout - 1)).failed, [], "the runners get a whole timeout of uptime to heartbeat again");
    await server.database.flowRuns.heartbeat(alive.id, upSince + 2_000); // this runner rode out the outage
    const { failed } = await killer.tick(upSince + timeout);
    assert.ok(failed.includes(dead.id), "a run still silent a full timeout after the restart is a zombie");
    assert.ok(!failed.includes(alive.id));
    const run = await client.getFlowRun(dead.id);
    assert.equal(run.state.name, "Failed");
    assert.match(run.state.message ?? "", /No heartbeat for 5 s \(last at .*; this server is up since .*\)/);
    assert.equal((await client.listTaskRuns(dead.id)).items[0]!.state.name, "Failed");
    assert.equal((await client.getFlowRun(alive.id)).state.name, "Running");
  });

  it("after an outage resurrection counts idle time from the restart too", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "stuck-outage");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(run.id, { name: "Submitted" });
    const progressAt = Date.parse((await client.getFlowRun(run.id)).updatedAt);
    const afterMs = 60_000;
    const upSince = progressAt + 60 * 60_000; // an hour-long outage: the agent could not report Running
    const resurrection = new Resurrection(server.database, { afterMs, maxAttempts: 3, intervalMs: 1_000, upSince }, quiet);
    assert.deepEqual((await resurrection.tick(upSince + afterMs - 1)).rescheduled, [], "nothing is rescheduled within afterMs of uptime");
    assert.equal((await client.getFlowRun(run.id)).state.name, "Submitted");
    const later = await resurrection.tick(upSince + afterMs);
    assert.ok(later.rescheduled.includes(run.id), "still no progress a full afterMs after the restart: stuck");
    assert.match((await client.getFlowRun(run.id)).state.message ?? "", /no progress for 60 s in Submitted/);
  });

  it("resurrection reschedules stuck Submitted/Running runs a bounded number of times, then fails them", async () => {
    const { client, server } = get();
    const { resurrection } = server.services;
    const max = get().config.server.resurrectionMaxAttempts;
    const after = get().config.server.resurrectionAfterMs;
    const flow = await registerSampleFlow(client, "stuck");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const busy = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(busy.id, { name: "Running" });
    await client.setTaskRunState(busy.id, "extract", -1, { name: "Running" });

    for (let attempt = 1; attempt <= max; attempt++) {
      await client.setFlowRunState(run.id, { name: "Submitted" });
      if (attempt === 2) await client.setFlowRunState(run.id, { name: "Running" }); // also a Running run without running tasks
      const result = await resurrection.tick(Date.now() + after + 1_000);
      assert.ok(result.rescheduled.includes(run.id), `reschedule ${attempt}`);
      assert.ok(!result.rescheduled.includes(busy.id), "a run with a running task is making progress");
      const again = await client.getFlowRun(run.id);
      assert.equal(again.state.name, "Scheduled");
      assert.equal(again.resurrections, attempt);
      assert.equal(again.agentId, null);
      assert.match(again.state.message ?? "", new RegExp(`reschedule ${attempt} of ${max}`));
    }
    await client.setFlowRunState(run.id, { name: "Submitted" });
    const final = await resurrection.tick(Date.now() + after + 1_000);
    assert.ok(final.failed.includes(run.id));
    const failed = await client.getFlowRun(run.id);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message ?? "", /after \d+ reschedules/);
    assert.deepEqual((await client.listFlowRunStates(run.id)).filter((s) => s.name === "Scheduled").length, max + 1, "the history keeps every reschedule");
  });

  it("cancels a Scheduled run at once and a Running one through its heartbeat", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "cancel");
    const waiting = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const cancelled = await client.cancelFlowRun(waiting.id);
    assert.equal(cancelled.state.name, "Cancelled");
    assert.equal((await client.cancelFlowRun(waiting.id)).state.name, "Cancelled", "cancelling twice is fine");

    const running = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(running.id, { name: "Running" });
    assert.equal((await client.heartbeat(running.id)).cancelRequested, false);
    const requested = await client.cancelFlowRun(running.id);
    assert.equal(requested.state.name, "Running");
    assert.equal(requested.cancelRequested, true);
    const beat = await client.heartbeat(running.id);
    assert.equal(beat.cancelRequested, true, "the runner learns of the cancel at its next heartbeat");
    const ended = await client.setFlowRunState(running.id, { name: "Cancelled", message: "cancelled by request" });
    assert.equal(ended.state.name, "Cancelled");
    assert.ok((await client.listFlowRuns({ cancelRequested: true, flowId: flow.flowId })).items.some((r) => r.id === running.id));

    const done = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(done.id, { name: "Running" });
    await client.setFlowRunState(done.id, { name: "Success" });
    assert.equal((await rejection(client.cancelFlowRun(done.id))).status, 409);
  });

  it("the cancellation service ends a run that ignores its cancel request after the grace period", async () => {
    const { client, server } = get();
    const grace = get().config.server.cancellationGraceMs;
    const flow = await registerSampleFlow(client, "cancel-stuck");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(run.id, { name: "Running" });
    await client.setTaskRunState(run.id, "extract", -1, { name: "Running" });
    await client.cancelFlowRun(run.id);
    assert.deepEqual((await server.services.cancellation.tick(Date.now())).cancelled, [], "within the grace period the runner may still stop");
    const { cancelled } = await server.services.cancellation.tick(Date.now() + grace + 1_000);
    assert.deepEqual(cancelled, [run.id]);
    const after = await client.getFlowRun(run.id);
    assert.equal(after.state.name, "Cancelled");
    assert.match(after.state.message ?? "", /after the cancel request/);
    assert.equal((await client.listTaskRuns(run.id)).items[0]!.state.name, "Cancelled");
  });
}

export function cancellationGraceTests(get: () => TestServer): void {
  it("the cancellation service waits the whole grace period, ends Submitted and Running runs, and spares runs that ended in time", async () => {
    const { client, server } = get();
    const { cancellation } = server.services;
    const grace = get().config.server.cancellationGraceMs;
    const flow = await registerSampleFlow(client, "cancel-grace");
    const start = async (state: "Submitted" | "Running") => {
      const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
      await client.setFlowRunState(run.id, { name: "Submitted" });
      if (state === "Running") await client.setFlowRunState(run.id, { name: "Running" });
      return run.id;
    };
    const ignoring = await start("Running");
    await client.setTaskRunStates(ignoring, [
      { taskKey: "extract", state: { name: "Success", result: 1 } },
      { taskKey: "load", mapIndex: 0, state: { name: "Running" } },
    ]);
    const neverStarted = await start("Submitted");
    const honouring = await start("Running");
    const finishing = await start("Running");
    const ours = [ignoring, neverStarted, honouring, finishing];
    for (const id of ours) assert.equal((await client.cancelFlowRun(id)).cancelRequested, true);
    await client.setFlowRunState(honouring, { name: "Cancelled", message: "stopped by its runner" });
    await client.setFlowRunState(finishing, { name: "Success" }); // it finished before it saw the request
    const requestedAt = await Promise.all(ours.map(async (id) => (await server.database.flowRuns.row(id))!.cancel_requested_at!));
    const mine = (ids: string[]) => ids.filter((id) => ours.includes(id));

    assert.deepEqual(mine((await cancellation.tick(Math.min(...requestedAt) + grace)).cancelled), [], "not before the grace period is over");
    assert.equal((await client.getFlowRun(ignoring)).state.name, "Running");
    const { cancelled } = await cancellation.tick(Math.max(...requestedAt) + grace + 1);
    assert.deepEqual(mine(cancelled).sort(), [ignoring, neverStarted].sort(), "runs that ended in time are left alone");

    const ended = await client.getFlowRun(ignoring);
    assert.equal(ended.state.name, "Cancelled");
    assert.match(ended.state.message ?? "", /still Running .* after the cancel request \(grace /);
    assert.match((await client.getFlowRun(neverStarted)).state.message ?? "", /still Submitted/);
    const tasks = (await client.listTaskRuns(ignoring)).items.map((t) => [t.taskKey, t.state.name]);
    assert.deepEqual(
      tasks,
      [
        ["extract", "Success"],
        ["load", "Cancelled"],
      ],
      "finished task runs keep their state",
    );
    assert.equal((await client.getFlowRun(honouring)).state.message, "stopped by its runner");
    assert.equal((await client.getFlowRun(finishing)).state.name, "Success");
    assert.deepEqual(mine((await cancellation.tick(Math.max(...requestedAt) + 2 * grace)).cancelled), [], "each run is ended once");
  });

  it("resurrection cancels, rather than reschedules, a stuck run that was asked to cancel", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "cancel-stuck-resurrection");
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    await client.setFlowRunState(run.id, { name: "Submitted" });
    await client.setTaskRunState(run.id, "extract", -1, { name: "Pending" });
    await client.cancelFlowRun(run.id);
    const result = await server.services.resurrection.tick(Date.now() + get().config.server.resurrectionAfterMs + 1_000);
    assert.ok(result.cancelled.includes(run.id));
    assert.ok(!result.rescheduled.includes(run.id));
    const after = await client.getFlowRun(run.id);
    assert.equal(after.state.name, "Cancelled");
    assert.match(after.state.message ?? "", /a cancel was requested and the run made no progress/);
    assert.equal((await client.listTaskRuns(run.id)).items[0]!.state.name, "Cancelled");
  });
}
