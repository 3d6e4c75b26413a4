/** Schedules: validation, the scheduler creating each slot's run once (also under concurrent ticks), updates. */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";
import { Scheduler } from "../../../src/server/index.js";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;

export function scheduleTests(get: () => TestServer): void {
  it("validates schedules: cron syntax, timing choice, parameters and flow", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "sched-validate");
    const badCron = await rejection(client.createSchedule({ flowId: flow.flowId, cron: "every tuesday", parameters: { count: 1 } }));
    assert.equal(badCron.status, 422);
    assert.equal(badCron.field, "cron");
    const both = await rejection(client.createSchedule({ flowId: flow.flowId, cron: "* * * * *", intervalMs: 60_000 }));
    assert.equal(both.status, 422);
    assert.equal(both.field, "cron");
    const badZone = await rejection(client.createSchedule({ flowId: flow.flowId, cron: "0 * * * *", timezone: "Mars/Olympus", parameters: { count: 1 } }));
    assert.equal(badZone.field, "timezone");
    const badParams = await rejection(client.createSchedule({ flowId: flow.flowId, intervalMs: 60_000, parameters: { count: "many" } }));
    assert.equal(badParams.status, 422);
    assert.equal(badParams.code, "INVALID_PARAMETER");
    assert.equal(badParams.field, "parameters.count");
    const noFlow = await rejection(client.createSchedule({ flowId: "ghost", intervalMs: 60_000 }));
    assert.equal(noFlow.status, 404);
    assert.equal(noFlow.field, "flowId");
  });

  it("creates one run per interval slot up to the lookahead, never twice, even with concurrent ticks", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "sched-interval", ["sched"]);
    const anchor = new Date(Math.floor(Date.now() / MINUTE) * MINUTE).toISOString();
    const schedule = await client.createSchedule({ flowId: flow.flowId, intervalMs: MINUTE, anchor, parameters: { count: 2 }, name: "every minute" });
    assert.equal(schedule.active, true);
    const now = Date.now();
    // The slots anchor + k minutes after the schedule's creation, up to the lookahead.
    let expected = 0;
    for (let slot = Date.parse(anchor); slot <= now + 10 * MINUTE; slot += MINUTE) if (slot > Date.parse(schedule.createdAt)) expected++;
    const scheduler = new Scheduler(server.database, { lookaheadMs: 10 * MINUTE, intervalMs: 10_000 }, quiet);
    const results = await Promise.all([scheduler.tick(now), scheduler.tick(now), scheduler.tick(now)]);
    const created = results.flatMap((r) => r.created);
    const runs = (await client.listFlowRuns({ scheduleId: schedule.id, limit: 1000 })).items;
    assert.equal(runs.length, created.length, "each created run is reported by exactly one tick");
    assert.equal(runs.length, expected, "slots after the creation up to now + 10 minutes");
    assert.ok(expected >= 9);
    const starts = runs.map((r) => Date.parse(r.scheduledStart)).sort((a, b) => a - b);
    assert.equal(new Set(starts).size, starts.length, "one run per slot");
    for (const start of starts) assert.equal((start - Date.parse(anchor)) % MINUTE, 0);
    assert.ok(starts[0]! > Date.parse(schedule.createdAt) && starts[starts.length - 1]! <= now + 10 * MINUTE);
    assert.deepEqual(runs[0]!.labels, ["sched"]);
    assert.deepEqual(runs[0]!.parameters, { count: 2, mode: "fast" });
    assert.equal(runs[0]!.state.message, "Scheduled by schedule every minute");
    assert.deepEqual((await scheduler.tick(now)).created, [], "a second tick at the same time adds nothing");
    const later = await scheduler.tick(now + 3 * MINUTE);
    assert.equal(later.created.length, 3, "three more slots came into the lookahead");
    assert.equal(Date.parse((await client.getSchedule(schedule.id)).lastSlot!), starts[starts.length - 1]! + 3 * MINUTE);
  });

  it("does not back-fill slots missed while no server ran beyond one service interval", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "sched-outage");
    const schedule = await client.createSchedule({ flowId: flow.flowId, intervalMs: MINUTE, parameters: { count: 1 } });
    const interval = MINUTE;
    const first = new Scheduler(server.database, { lookaheadMs: 2 * MINUTE, intervalMs: interval }, quiet);
    const now = Date.now();
    await first.tick(now);
    const before = (await client.listFlowRuns({ scheduleId: schedule.id, limit: 1000 })).items.length;
    assert.equal(before, 2, "the slots of the next two minutes");
    // The server is down for a day; a new one (a new scheduler) starts.
    const restart = now + 24 * 60 * MINUTE;
    const second = new Scheduler(server.database, { lookaheadMs: 2 * MINUTE, intervalMs: interval }, quiet);
    await second.tick(restart);
    const starts = (await client.listFlowRuns({ scheduleId: schedule.id, limit: 1000 })).items
      .map((r) => Date.parse(r.scheduledStart))
      .filter((start) => start > now + 2 * MINUTE);
    assert.equal(starts.length, 3, "not a day of runs: the slot of the last interval and the two of the lookahead");
    assert.ok(
      starts.every((start) => start > restart - interval && start <= restart + 2 * MINUTE),
      "only slots after restart - interval",
    );
    assert.equal(starts.filter((start) => start <= restart).length, 1, "exactly one missed slot (within the last interval) is made up");
  });

  it("creates every slot that fell between two of its ticks, even with no lookahead and a late tick", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "sched-late-tick");
    const anchor = new Date(Math.floor(Date.now() / 5_000) * 5_000).toISOString();
    const schedule = await client.createSchedule({ flowId: flow.flowId, intervalMs: 5_000, anchor, parameters: { count: 1 } });
    const scheduler = new Scheduler(server.database, { lookaheadMs: 0, intervalMs: 10_000 }, quiet);
    const t0 = Date.parse(schedule.createdAt) + 1;
    await scheduler.tick(t0);
    // The next tick comes 35 s later instead of 10 s (a busy machine, a long previous tick).
    await scheduler.tick(t0 + 35_000);
    const starts = (await client.listFlowRuns({ scheduleId: schedule.id, limit: 1000 })).items.map((r) => Date.parse(r.scheduledStart)).sort((a, b) => a - b);
    const expected: number[] = [];
    for (let slot = Date.parse(anchor); slot <= t0 + 35_000; slot += 5_000) if (slot > Date.parse(schedule.createdAt)) expected.push(slot);
    assert.equal(expected.length, 7);
    assert.deepEqual(starts, expected, "one run for each 5 s slot between the two ticks");
  });

  it("creates cron slots in the schedule's time zone", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "sched-cron");
    const schedule = await client.createSchedule({ flowId: flow.flowId, cron: "*/15 * * * *", timezone: "Asia/Kolkata", parameters: { count: 1 } });
    const scheduler = new Scheduler(server.database, { lookaheadMs: 60 * MINUTE, intervalMs: 10_000 }, quiet);
    await scheduler.tick(Date.now());
    const runs = (await client.listFlowRuns({ scheduleId: schedule.id })).items;
    assert.equal(runs.length, 4, "four quarter hours in the hour ahead");
    for (const run of runs) assert.equal(new Date(run.scheduledStart).getUTCMinutes() % 15, 0, "UTC+5:30 quarter hours are UTC quarter hours");
  });

  it("updating a schedule replaces its future runs; deleting removes them; inactive schedules create nothing", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "sched-update");
    const schedule = await client.createSchedule({ flowId: flow.flowId, intervalMs: 5 * MINUTE, parameters: { count: 1 } });
    const scheduler = new Scheduler(server.database, { lookaheadMs: 30 * MINUTE, intervalMs: 10_000 }, quiet);
    const now = Date.now();
    await scheduler.tick(now);
    assert.equal((await client.listFlowRuns({ scheduleId: schedule.id })).items.length, 6);
    const updated = await client.updateSchedule(schedule.id, { intervalMs: 10 * MINUTE, parameters: { count: 9 } });
    assert.equal(updated.intervalMs, 10 * MINUTE);
    assert.equal((await client.listFlowRuns({ scheduleId: schedule.id })).items.length, 0, "unclaimed future runs of the old definition are gone");
    await scheduler.tick(now);
    const runs = (await client.listFlowRuns({ scheduleId: schedule.id })).items;
    assert.ok(runs.length >= 2 && runs.length <= 3);
    assert.ok(runs.every((r) => r.parameters.count === 9));
    await client.updateSchedule(schedule.id, { active: false });
    assert.equal((await client.listFlowRuns({ scheduleId: schedule.id })).items.length, 0);
    await scheduler.tick(now + 60 * MINUTE);
    assert.equal((await client.listFlowRuns({ scheduleId: schedule.id })).items.length, 0, "an inactive schedule creates no runs");
    await client.deleteSchedule(schedule.id);
    assert.equal((await rejection(client.getSchedule(schedule.id))).status, 404);
    assert.equal((await rejection(client.deleteSchedule(schedule.id))).status, 404);
    assert.ok((await client.listSchedules({ flowId: flow.flowId })).items.length === 0);
  });
}
