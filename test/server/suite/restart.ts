/** A server restart on the same database loses nothing, and clients ride it out with retries. */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import type { DatabaseTarget, TestServer } from "../support.js";
import { registerSampleFlow, startTestServer } from "../support.js";
import { createClient } from "../../../src/client/index.js";

export function restartTests(target: DatabaseTarget): void {
  describe("restart", () => {
    const open: TestServer[] = [];
    after(async () => {
      for (const s of open) await s.close();
    });

    it("keeps states, history, task runs, logs and secrets; the run goes on reporting", async () => {
      const first = await startTestServer(target);
      open.push(first);
      const { client } = first;
      const flow = await registerSampleFlow(client, "restart");
      const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
      await client.setFlowRunState(run.id, { name: "Running" });
      await client.setTaskRunStates(run.id, [
        { taskKey: "extract", state: { name: "Success", result: [1, 2] } },
        { taskKey: "load", mapIndex: 0, state: { name: "Running" } },
      ]);
      await client.writeLogs([{ flowRunId: run.id, level: "info", message: "before the restart" }]);
      await client.setSecret("TOKEN", "s3cret");
      await first.close();

      const second = await startTestServer(target, { databaseUrl: first.databaseUrl, home: first.home });
      open.push(second);
      const c = second.client;
      const again = await c.getFlowRun(run.id);
      assert.equal(again.state.name, "Running");
      assert.deepEqual(
        (await c.listFlowRunStates(run.id)).map((s) => s.name),
        ["Scheduled", "Running"],
      );
      const tasks = (await c.listTaskRuns(run.id)).items;
      assert.deepEqual(
        tasks.map((t) => [t.taskKey, t.mapIndex, t.state.name]),
        [
          ["extract", -1, "Success"],
          ["load", 0, "Running"],
        ],
      );
      assert.deepEqual(tasks[0]!.state.result, [1, 2]);
      const logs = await c.readLogs(run.id);
      assert.deepEqual(
        logs.items.map((l) => l.message),
        ["before the restart"],
      );
      assert.equal(await c.getSecret("TOKEN"), "s3cret", "the secret key in <home> survives too");
      assert.equal((await c.registerFlow({ ...flowInput(flow.flow) })).created, false, "the flow is still registered");

      await c.setTaskRunState(run.id, "load", 0, { name: "Success" });
      await c.writeLogs([{ flowRunId: run.id, level: "info", message: "after the restart" }]);
      const done = await c.setFlowRunState(run.id, { name: "Success" }, { expectedVersion: again.version });
      assert.equal(done.state.name, "Success");
      const more = await c.readLogs(run.id, { after: logs.nextCursor });
      assert.deepEqual(
        more.items.map((l) => l.message),
        ["after the restart"],
      );
    });

    it("a restarted server gives running flow runs a heartbeat timeout of uptime before failing them", async () => {
      const timeout = 400;
      const env = { SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: String(timeout) };
      const first = await startTestServer(target, { env });
      open.push(first);
      const flow = await registerSampleFlow(first.client, "restart-zombie");
      const run = await first.client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
      await first.client.setFlowRunState(run.id, { name: "Running" });
      await first.client.heartbeat(run.id);
      await first.close();
      await new Promise((r) => setTimeout(r, timeout + 200)); // the outage outlasts the heartbeat timeout

      const second = await startTestServer(target, { databaseUrl: first.databaseUrl, home: first.home, env });
      open.push(second);
      const { zombieKiller } = second.server.services;
      assert.deepEqual((await zombieKiller.tick(Date.now())).failed, [], "the silence was the server's, not the run's");
      assert.equal((await second.client.getFlowRun(run.id)).state.name, "Running");
      await second.client.heartbeat(run.id); // the runner reconnects
      // Half the timeout after the heartbeat: not silent long enough (a margin for a slow machine).
      assert.deepEqual((await zombieKiller.tick(Date.now() + timeout / 2)).failed, []);
      const { failed } = await zombieKiller.tick(Date.now() + 10 * timeout);
      assert.deepEqual(failed, [run.id], "a run that then goes silent is failed as usual");
    });

    it("a client call made while the server is down succeeds once it is back on the same address", async () => {
      const first = await startTestServer(target);
      const port = Number(new URL(first.server.url).port);
      const flow = await registerSampleFlow(first.client, "restart-retry");
      await first.close();
      const patient = createClient({ url: first.server.url, retry: { attempts: 30, baseDelayMs: 25, maxDelayMs: 100 } });
      const pending = patient.getFlow(flow.flowId);
      await new Promise((r) => setTimeout(r, 150));
      const second = await startTestServer(target, { databaseUrl: first.databaseUrl, home: first.home, port });
      open.push(second);
      assert.equal((await pending).name, "restart-retry");
    });
  });
}

function flowInput(flow: {
  name: string;
  environment: Record<string, unknown> & { type: string };
  storage: Record<string, unknown> & { type: string };
  parameterSchema: Record<string, unknown>;
  parameterDefaults: Record<string, unknown>;
  taskGraph: { tasks: { key: string; name: string; upstream: string[]; mapped: boolean }[] };
}) {
  const { name, environment, storage, parameterSchema, parameterDefaults, taskGraph } = flow;
  return { name, environment, storage, parameterSchema, parameterDefaults, taskGraph };
}
