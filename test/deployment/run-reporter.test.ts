/** The RunReporter against a real server (SQLite): batching, order, levels, cancellation, a server restart. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { createClient, type SluiceClient } from "../../src/client/index.js";
import type { SluiceConfig } from "../../src/config/index.js";
import { flow, type AnyFlow } from "../../src/core/flow.js";
import { createLogger } from "../../src/core/logger.js";
import { task } from "../../src/core/task.js";
import { RunReporter } from "../../src/deployment/run-reporter.js";
import { sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { allTaskRuns } from "../../src/deployment/flow-run-entry.js";
import { fixtureFlows, registerFixture, sleep, testConfig, waitFor } from "../agents/support.js";

const quiet = createLogger({ level: "silent" });

function reporterFor(client: SluiceClient, config: SluiceConfig, flowRunId: string): RunReporter {
  return new RunReporter({ client, flowRunId, logging: config.logging, reporter: config.reporter, logger: quiet });
}

/** Runs `f` in this process as flow run `flowRunId`, reporting to the server. */
async function runReported(f: AnyFlow, reporter: RunReporter, parameters: Record<string, unknown> = {}) {
  reporter.start();
  try {
    return await f.run({
      parameters,
      flowRunId: reporter.flowRunId,
      observers: [reporter.observer],
      signal: reporter.signal,
      logger: quiet,
      logLevel: "debug",
    });
  } finally {
    await reporter.close();
  }
}

describe("RunReporter", { timeout: 120_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let home: string;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-reporter-"));
    server = await startTestServer(target);
  });
  after(async () => {
    await server.close();
    await target.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  const named = async (name: string): Promise<AnyFlow> => (await fixtureFlows()).find((f) => f.name === name)!;

  it("reports a 1,003-task run with a few dozen requests, every task run on the server", async () => {
    const config = testConfig(server.server.url, home, { SLUICE__LOGGING__BATCH_INTERVAL_MS: "1000" });
    const flowId = await registerFixture(server.client, "agent-wide");
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 1000 } });
    const reporter = reporterFor(createClient({ url: server.server.url }), config, run.id);
    const result = await runReported(await named("agent-wide"), reporter, { n: 1000 });
    assert.equal(result.state.name, "Success");
    const taskRuns = await allTaskRuns(server.client, run.id);
    assert.equal(taskRuns.length, 1003);
    assert.deepEqual([...new Set(taskRuns.map((t) => t.state.name))].sort(), ["Mapped", "Success"]);
    assert.equal((await server.client.getFlowRun(run.id)).state.name, "Success");
    const requests = reporter.stats.taskRunRequests + reporter.stats.logRequests + reporter.stats.flowRunRequests;
    assert.ok(requests <= 60, `${requests} requests for 1,003 task runs (${JSON.stringify(reporter.stats)})`);
    console.log(`1,003 task runs reported in ${requests} requests: ${JSON.stringify(reporter.stats)}`);
    assert.equal(reporter.stats.unsent, 0);
    assert.equal(reporter.stats.dropped, 0);
  });

  it("sends the flow-run states in order, every task state and the task logs that pass the level", async () => {
    const config = testConfig(server.server.url, home, { SLUICE__LOGGING__LEVEL: "warn" });
    const flowId = await registerFixture(server.client, "agent-squares");
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 2 } });
    await runReported(await named("agent-squares"), reporterFor(server.client, config, run.id), { n: 2 });
    assert.deepEqual(
      (await server.client.listFlowRunStates(run.id)).map((s) => s.name),
      ["Scheduled", "Running", "Success"],
    );
    const total = (await allTaskRuns(server.client, run.id)).find((t) => t.taskKey === "total")!;
    assert.deepEqual(
      (await server.client.listTaskRunStates(total.id)).map((s) => s.name),
      ["Pending", "Running", "Success"],
    );
    assert.equal(total.state.result, 5, "the JSON result travels with the Success state");
    const logs = (await server.client.readLogs(run.id)).items;
    assert.deepEqual(
      logs.map((l) => [l.level, l.message]),
      [["warn", "the total is ready"]],
      "info lines are below logging.level=warn",
    );
    assert.equal(logs[0]!.taskRunId, total.id, "a task's log line carries the server's id of its task run");
    assert.deepEqual(logs[0]!.fields, { sum: 5, taskName: "total" });
  });

  it("sends no logs when logging.sendToApi is off, but still every state", async () => {
    const config = testConfig(server.server.url, home, { SLUICE__LOGGING__SEND_TO_API: "false", SLUICE__LOGGING__LEVEL: "debug" });
    const flowId = await registerFixture(server.client, "agent-squares");
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 2 } });
    await runReported(await named("agent-squares"), reporterFor(server.client, config, run.id), { n: 2 });
    assert.equal((await server.client.readLogs(run.id)).items.length, 0);
    assert.equal((await allTaskRuns(server.client, run.id)).length, 5);
  });

  it("aborts the run within seconds of a cancel request; the run ends Cancelled on the server", async () => {
    const config = testConfig(server.server.url, home);
    const flowId = await registerFixture(server.client, "agent-slow");
    const run = await server.client.createFlowRun({ flowId, parameters: { ms: 60_000 } });
    const reporter = reporterFor(server.client, config, run.id);
    const running = runReported(await named("agent-slow"), reporter, { ms: 60_000 });
    await waitFor("the run to be Running", async () => ((await server.client.getFlowRun(run.id)).state.name === "Running" ? true : undefined));
    const asked = Date.now();
    await server.client.cancelFlowRun(run.id);
    const result = await running;
    assert.equal(result.state.name, "Cancelled");
    assert.ok(Date.now() - asked < 5000, `cancelled after ${Date.now() - asked} ms`);
    assert.equal((await server.client.getFlowRun(run.id)).state.name, "Cancelled");
    assert.equal((await allTaskRuns(server.client, run.id))[0]!.state.name, "Cancelled");
  });

  it("stops a run the server ended meanwhile (e.g. failed by the zombie killer), without overwriting its state", async () => {
    const config = testConfig(server.server.url, home);
    const flowId = await registerFixture(server.client, "agent-slow");
    const run = await server.client.createFlowRun({ flowId, parameters: { ms: 60_000 } });
    const reporter = reporterFor(server.client, config, run.id);
    const running = runReported(await named("agent-slow"), reporter, { ms: 60_000 });
    await waitFor("the run to be Running", async () => ((await server.client.getFlowRun(run.id)).state.name === "Running" ? true : undefined));
    await server.client.setFlowRunState(run.id, { name: "Failed", message: "failed from outside" });
    const result = await running;
    assert.equal(result.state.name, "Cancelled", "the local run stopped");
    const onServer = await server.client.getFlowRun(run.id);
    assert.equal(onServer.state.name, "Failed");
    assert.equal(onServer.state.message, "failed from outside");
  });

  it("loses nothing when the server restarts mid-run: queued states and logs are sent once it is back", async () => {
    const databaseUrl = await target.newDatabaseUrl();
    const first = await startTestServer(target, { databaseUrl, home });
    const port = Number(new URL(first.server.url).port);
    const step = task("step", async ({ i }: { i: number; after?: number }, ctx) => {
      ctx.logger.warn(`step ${i}`);
      await sleep(150);
      return i;
    });
    const steps = flow("restart-steps", { parameters: z.object({}) }, () => {
      let previous = step({ i: 0 });
      for (let i = 1; i < 12; i++) previous = step({ i, after: previous });
      return previous;
    });
    // Register something for the run to belong to (the steps flow runs in this process).
    const flowId = await registerFixture(first.client, "agent-squares");
    const run = await first.client.createFlowRun({ flowId, parameters: { n: 1 } });
    const config = testConfig(first.server.url, home);
    const reporter = reporterFor(createClient({ url: first.server.url, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 } }), config, run.id);
    const running = runReported(steps, reporter);
    await sleep(500);
    await first.close();
    await sleep(1200);
    const second = await startTestServer(target, { databaseUrl, home, port });
    try {
      const result = await running;
      assert.equal(result.state.name, "Success");
      assert.equal(reporter.stats.unsent, 0);
      assert.equal((await second.client.getFlowRun(run.id)).state.name, "Success");
      const taskRuns = await allTaskRuns(second.client, run.id);
      assert.equal(taskRuns.length, result.taskRuns.length);
      assert.ok(
        taskRuns.every((t) => ["Success", "Mapped"].includes(t.state.name)),
        taskRuns.map((t) => `${t.taskKey}[${t.mapIndex}] ${t.state.name}`).join(", "),
      );
      const messages = (await second.client.readLogs(run.id)).items.map((l) => l.message);
      const expected = result.taskRuns.filter((t) => t.state.name === "Success").length;
      assert.equal(messages.filter((m) => m.startsWith("step ")).length, expected, "every task's log line arrived");
    } finally {
      await second.close();
    }
  });
});
