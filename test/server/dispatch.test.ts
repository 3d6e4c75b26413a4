/**
 * Dispatch by long poll: a claim with `waitMs` answers as soon as a run it may take is created, put back
 * to Scheduled, or comes due, on SQLite (an in-process signal) and on PostgreSQL (LISTEN/NOTIFY, so a
 * claim waiting on one server wakes when the run is created through another).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { serviceSuite } from "../support/services.js";
import { postgresTarget, registerSampleFlow, sqliteTarget, startTestServer, type DatabaseTarget, type TestServer } from "./support.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function dispatchSuite(target: DatabaseTarget): void {
  const open: TestServer[] = [];
  after(async () => {
    for (const server of open) await server.close();
    await target.cleanup();
  });
  const serve = async (databaseUrl?: string) => {
    const server = await startTestServer(target, databaseUrl === undefined ? {} : { databaseUrl });
    open.push(server);
    return server;
  };

  it("answers at once without waitMs, and after waitMs when nothing comes", async () => {
    const { client } = await serve();
    const agent = await client.registerAgent({ name: "idle", kind: "local" });
    const t0 = performance.now();
    assert.deepEqual(await client.claimFlowRuns({ agentId: agent.id }), []);
    const t1 = performance.now();
    assert.deepEqual(await client.claimFlowRuns({ agentId: agent.id, waitMs: 400 }), []);
    const waited = performance.now() - t1;
    assert.ok(waited >= 380, `the empty long poll lasted ${Math.round(waited)} ms`);
    assert.ok(t1 - t0 < waited, "without waitMs the claim does not wait");
  });

  it("wakes as soon as a run is created, and as soon as one is rescheduled", async () => {
    const { client } = await serve();
    const flow = await registerSampleFlow(client);
    const agent = await client.registerAgent({ name: "waiter", kind: "local" });
    let createdAt = 0;
    const claim = client.claimFlowRuns({ agentId: agent.id, waitMs: 20_000 });
    await sleep(300);
    createdAt = performance.now();
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const claimed = await claim;
    const latency = performance.now() - createdAt;
    assert.deepEqual(
      claimed.map((c) => c.flowRun.id),
      [run.id],
    );
    assert.equal(claimed[0]!.flowRun.state.name, "Submitted");
    assert.ok(latency < 5_000, `claimed ${Math.round(latency)} ms after creation, far below the 20 s wait`);

    const again = client.claimFlowRuns({ agentId: agent.id, waitMs: 20_000 });
    await sleep(200);
    await client.setFlowRunState(run.id, { name: "Scheduled" }, {});
    const reclaimed = await again;
    assert.deepEqual(
      reclaimed.map((c) => c.flowRun.id),
      [run.id],
    );
  });

  it("wakes when a future run comes due, not before", async () => {
    const { client } = await serve();
    const flow = await registerSampleFlow(client);
    const agent = await client.registerAgent({ name: "timer", kind: "local" });
    const dueAt = Date.now() + 700;
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, scheduledStart: new Date(dueAt).toISOString() });
    const claimed = await client.claimFlowRuns({ agentId: agent.id, waitMs: 20_000 });
    assert.deepEqual(
      claimed.map((c) => c.flowRun.id),
      [run.id],
    );
    assert.ok(Date.now() >= dueAt, "not claimed before it was due");
    assert.ok(Date.now() - dueAt < 5_000, "claimed soon after it came due");
  });

  it("does not wake an agent for a run whose labels it does not fit", async () => {
    const { client } = await serve();
    const flow = await registerSampleFlow(client, undefined, ["gpu"]);
    const agent = await client.registerAgent({ name: "plain", kind: "local" });
    const claim = client.claimFlowRuns({ agentId: agent.id, waitMs: 600 });
    await sleep(100);
    await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    assert.deepEqual(await claim, []);
  });

  if (target.name === "postgres")
    it("a claim waiting on one server wakes when the run is created through another (LISTEN/NOTIFY)", async () => {
      const a = await serve();
      const b = await serve(a.databaseUrl);
      const flow = await registerSampleFlow(a.client);
      const agent = await a.client.registerAgent({ name: "cross", kind: "local" });
      const claim = a.client.claimFlowRuns({ agentId: agent.id, waitMs: 20_000 });
      await sleep(300);
      const createdAt = performance.now();
      const run = await b.client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
      const claimed = await claim;
      const latency = performance.now() - createdAt;
      assert.deepEqual(
        claimed.map((c) => c.flowRun.id),
        [run.id],
      );
      assert.ok(latency < 5_000, `claimed through server A ${Math.round(latency)} ms after creation on server B`);
    });
}

describe("dispatch by long poll (SQLite)", { timeout: 120_000 }, () => dispatchSuite(sqliteTarget()));
await serviceSuite(["postgres"], "dispatch by long poll (PostgreSQL)", () => {
  describe("on PostgreSQL", { timeout: 120_000 }, () => dispatchSuite(postgresTarget()));
});
