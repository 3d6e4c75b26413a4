/**
 * `sluice execute flow-run` (spec §5) as a process: its failures without a run to report to, stage B
 * (`--stage run`), and SIGTERM (the run ends Cancelled, everything flushed).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allTaskRuns } from "../../src/reporting/flow-run-entry.js";
import { sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { runSluice, startSluice } from "../e2e/support.js";
import { registerFixture, waitFor, waitForRun } from "./support.js";

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

  it("SIGTERM cancels the run: it ends Cancelled on the server and the process exits 1", async () => {
    const flowId = await registerFixture(server.client, "agent-slow");
    const run = await server.client.createFlowRun({ flowId, parameters: { ms: 60_000 } });
    const proc = startSluice(["execute", "flow-run"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: run.id }));
    await waitForRun(server.client, run.id, ["Running"], 60_000);
    await waitFor("the task to run", async () => ((await allTaskRuns(server.client, run.id)).some((t) => t.state.name === "Running") ? true : undefined));
    const result = await proc.stop("SIGTERM");
    assert.equal(result.code, 1, result.stderr.slice(-2000));
    const cancelled = await server.client.getFlowRun(run.id);
    assert.equal(cancelled.state.name, "Cancelled");
    assert.equal((await allTaskRuns(server.client, run.id))[0]!.state.name, "Cancelled");
  });
});
