/**
 * `sluice execute flow-run` (spec §5) as a process: its failures without a run to report to, stage B
 * (`--stage run`), and its signals: SIGINT cancels (Cancelled), SIGTERM/SIGHUP stop it from outside
 * (Failed naming the signal, unless the server holds a cancel request), everything flushed either way.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allTaskRuns } from "../../src/deployment/flow-run-entry.js";
import { sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { runSluice, startSluice } from "../e2e/support.js";
import { registerFixture, waitFor, waitForRun } from "../agents/support.js";

describe("sluice execute flow-run", { timeout: 180_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let home: string;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: server.server.url,
    SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "200",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "50",
    ...extra,
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-entry-"));
    server = await startTestServer(target, { home });
  });
  after(async () => {
    await server.close();
    await target.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  it("without SLUICE__CONTEXT__FLOW_RUN_ID it exits 2 and says what is missing", async () => {
    const result = await runSluice(["execute", "flow-run"], env());
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /SLUICE__CONTEXT__FLOW_RUN_ID is not set/);
  });

  it("with an unknown run id it exits 1 and names the run and the server", async () => {
    const result = await runSluice(["execute", "flow-run"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: "no-such-run" }));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, new RegExp(`flow run no-such-run does not exist on the server at ${server.server.url.replace(/[.]/g, "\\.")}`));
  });

  it("rejects an unknown stage with exit 2", async () => {
    const result = await runSluice(["execute", "flow-run", "--stage", "sideways"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: "x" }));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /sideways/);
  });

  it("--stage run runs the flow in this process and reports it (the entry of stage B)", async () => {
    const flowId = await registerFixture(server.client, "agent-squares");
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 2 } });
    const result = await runSluice(["execute", "flow-run", "--stage", "run", "--json"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: run.id }));
    assert.equal(result.code, 0, result.stderr.slice(-2000));
    assert.deepEqual(JSON.parse(result.stdout), { exitCode: 0, flowRunId: run.id, state: "Success", message: `flow run ${run.id} ended Success` });
    assert.equal((await server.client.getFlowRun(run.id)).state.name, "Success");
    assert.equal((await allTaskRuns(server.client, run.id)).length, 5);
    assert.ok((await server.client.readLogs(run.id)).items.some((l) => /^Stage B of flow run/.test(l.message)));
  });

  it("a run that already finished is left alone", async () => {
    const flowId = await registerFixture(server.client, "agent-squares");
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 1 } });
    await server.client.cancelFlowRun(run.id);
    const result = await runSluice(["execute", "flow-run"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: run.id }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is already Cancelled: nothing to do/);
    assert.equal((await allTaskRuns(server.client, run.id)).length, 0);
  });

  /** Starts the entry on a slow run and waits until its task runs. */
  const startSlow = async (extra: Record<string, string> = {}) => {
    const flowId = await registerFixture(server.client, "agent-slow");
    const run = await server.client.createFlowRun({ flowId, parameters: { ms: 60_000 } });
    const proc = startSluice(["execute", "flow-run"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: run.id, ...extra }));
    await waitForRun(server.client, run.id, ["Running"], 60_000);
    await waitFor("the task to run", async () => ((await allTaskRuns(server.client, run.id)).some((t) => t.state.name === "Running") ? true : undefined));
    return { run, proc };
  };

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    it(`${signal} (a pod evicted or deleted, docker stop) ends the run Failed naming the signal, after flushing its states and logs; exit 1`, async () => {
      const { run, proc } = await startSlow();
      const result = await proc.stop(signal);
      assert.equal(result.code, 1, result.stderr.slice(-2000));
      const message = new RegExp(`^terminated by ${signal}: the container/pod was stopped from outside \\(eviction, deletion, node drain, docker stop\\)$`);
      const failed = await server.client.getFlowRun(run.id);
      assert.equal(failed.state.name, "Failed");
      assert.match(failed.state.message ?? "", message);
      assert.equal(failed.state.error?.code, "TERMINATED");
      const [task] = await allTaskRuns(server.client, run.id);
      assert.equal(task!.state.name, "Failed");
      assert.match(task!.state.message ?? "", message);
      const logs = (await server.client.readLogs(run.id)).items.map((l) => l.message);
      assert.ok(logs.includes("sleeping 60000 ms"), "the task's log line was flushed");
      assert.ok(
        logs.some((m) => m.startsWith(`The flow run's process was terminated by ${signal}`)),
        logs.join("\n"),
      );
      assert.match(result.stderr, new RegExp(`ended Failed: terminated by ${signal}`));
    });
  }

  it("SIGINT cancels the run: it ends Cancelled on the server and the process exits 1", async () => {
    const { run, proc } = await startSlow();
    const result = await proc.stop("SIGINT");
    assert.equal(result.code, 1, result.stderr.slice(-2000));
    const cancelled = await server.client.getFlowRun(run.id);
    assert.equal(cancelled.state.name, "Cancelled");
    assert.equal((await allTaskRuns(server.client, run.id))[0]!.state.name, "Cancelled");
  });

  it("SIGTERM after a cancel was requested through the server is that cancel's: the run ends Cancelled", async () => {
    // The reporter checks for cancels rarely here, so it is the entry's own check on SIGTERM that sees it.
    const { run, proc } = await startSlow({ SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "600000", SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "600000" });
    await server.client.cancelFlowRun(run.id);
    const result = await proc.stop("SIGTERM");
    assert.equal(result.code, 1, result.stderr.slice(-2000));
    const cancelled = await server.client.getFlowRun(run.id);
    assert.equal(cancelled.state.name, "Cancelled", cancelled.state.message);
    assert.equal((await allTaskRuns(server.client, run.id))[0]!.state.name, "Cancelled");
  });
});
