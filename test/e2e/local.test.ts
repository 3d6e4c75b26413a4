/**
 * End to end with the real binary: `sluice server start` + `sluice register` + `sluice agent start local`
 * + `sluice flow-run create | watch | show | logs | cancel`. A run goes to Success with every task state
 * and log line visible through the CLI and the API; a cancelled run stops; a run whose processes are killed
 * is failed by the zombie killer; a server restart mid-run loses nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type FlowRun, type LogRecord, type SluiceClient, type TaskRun } from "../../src/client/index.js";
import { FIXTURES, waitFor, waitForRun } from "../agents/support.js";
import { registrationOf } from "../../src/cli/registration.js";
import type { Environment } from "../../src/core/environment.js";
import { LocalStorage } from "../../src/storage/local/index.js";
import { matrixFlows } from "../deployment/fixtures/matrix-flows.js";
import { json, killAll, runSluice, startSluice, type SluiceProcess } from "./support.js";

describe("end to end: server + local agent", { timeout: 300_000 }, () => {
  let home: string;
  let url: string;
  let port: number;
  let server: SluiceProcess;
  let agent: SluiceProcess;
  let client: SluiceClient;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "4000",
    SLUICE__SERVER__SERVICE_INTERVAL_MS: "300",
    SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "500",
    SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "300",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "300",
    ...extra,
  });
  const sluice = (...args: string[]) => runSluice(args, env());
  const startServer = async (listenPort: number, extra: Record<string, string> = {}): Promise<SluiceProcess> => {
    const proc = startSluice(["server", "start", "--port", String(listenPort), "--json"], env(extra), 280_000);
    const match = await proc.waitFor(/"url": "(http:\/\/127\.0\.0\.1:(\d+))"/);
    url = match[1]!;
    port = Number(match[2]);
    return proc;
  };
  const startAgent = async (): Promise<SluiceProcess> => {
    const proc = startSluice(["agent", "start", "local", "--name", "e2e-local", "--label", "e2e"], env(), 280_000);
    await proc.waitFor(/Agent e2e-local \(local, labels: e2e\) polls/);
    return proc;
  };
  const create = async (flowName: string, ...params: string[]): Promise<string> => {
    const created = await sluice("flow-run", "create", flowName, ...params.flatMap((p) => ["--param", p]), "--json");
    assert.equal(created.code, 0, created.stderr);
    return json<FlowRun>(created).id;
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-e2e-local-"));
    url = "http://127.0.0.1:1"; // until the server says where it listens
    server = await startServer(0);
    client = createClient({ url });
    agent = await startAgent();
    const registered = await sluice("register", FIXTURES, "--label", "e2e", "--json");
    assert.equal(registered.code, 0, registered.stderr);
    const flows = json<{ flows: { name: string; version: number; created: boolean; labels: string[] }[] }>(registered).flows;
    assert.deepEqual(flows.map((f) => [f.name, f.version, f.created, f.labels]).sort(), [
      ["agent-failing", 1, true, ["e2e"]],
      ["agent-slow", 1, true, ["e2e"]],
      ["agent-squares", 1, true, ["e2e"]],
      ["agent-steps", 1, true, ["e2e"]],
      ["agent-wide", 1, true, ["e2e"]],
    ]);
  });
  after(async () => {
    await agent?.stop();
    await server?.stop();
    await killAll();
    await rm(home, { recursive: true, force: true });
  });

  it("registers again without a new version when nothing changed", async () => {
    const again = await sluice("register", FIXTURES, "--flow", "agent-squares", "--label", "e2e", "--json");
    assert.equal(again.code, 0, again.stderr);
    const [flow] = json<{ flows: { version: number; created: boolean }[] }>(again).flows;
    assert.deepEqual(flow, { ...flow, version: 1, created: false });
  });

  it("refuses at claim a run whose environment a local agent cannot run, naming the agent kinds that can", async () => {
    const flow = matrixFlows.docker;
    const environment = flow.environment as Environment;
    const registration = registrationOf(flow, new LocalStorage(), ["e2e"]);
    environment.labels.clear();
    const { flowId } = await client.registerFlow(registration);
    const run = await client.createFlowRun({ flowId });
    const done = await waitForRun(client, run.id, undefined, 60_000);
    assert.equal(done.state.name, "Failed", done.state.message);
    assert.match(done.state.message ?? "", /a local agent cannot run flow "matrix-docker": its environment DockerEnvironment runs on agent kinds docker;/);
  });

  it("runs a registered flow to Success; every task state and log line is visible through the CLI and the API", async () => {
    const id = await create("agent-squares", "n=3");
    const watched = await runSluice(["flow-run", "watch", id, "--interval", "200"], env(), 90_000);
    assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr.slice(-2000)}`);
    assert.match(watched.stdout, /task square\[2\] Success/);
    assert.match(watched.stdout, /Flow run agent-squares \(.*\) ended Success/);

    const shown = json<{ flowRun: FlowRun; states: { name: string }[]; taskRuns: TaskRun[] }>(await sluice("flow-run", "show", id, "--json"));
    assert.equal(shown.flowRun.state.name, "Success");
    assert.deepEqual(
      shown.states.map((s) => s.name),
      ["Scheduled", "Submitted", "Running", "Success"],
    );
    assert.equal(shown.taskRuns.length, 6);
    const apiTaskRuns = (await client.listTaskRuns(id)).items;
    assert.deepEqual(apiTaskRuns.map((t) => t.state.name).sort(), ["Mapped", "Success", "Success", "Success", "Success", "Success"]);
    for (const t of apiTaskRuns.filter((t) => t.state.name === "Success")) {
      assert.deepEqual(
        (await client.listTaskRunStates(t.id)).map((s) => s.name),
        ["Pending", "Running", "Success"],
        `${t.taskKey}[${t.mapIndex}]`,
      );
    }

    const logs = await sluice("flow-run", "logs", id);
    assert.equal(logs.code, 0);
    for (const line of [
      /INFO +Deployed by agent e2e-local \(local\)/,
      /INFO +\[range\] making the range/,
      /INFO +\[square\[2\]\] squaring 3/,
      /WARN +\[total\] the total is ready/,
    ])
      assert.match(logs.stdout, line);
    const apiLogs = (await client.readLogs(id)).items;
    assert.ok(apiLogs.some((l) => l.message === "squaring 1" && l.taskRunId === apiTaskRuns.find((t) => t.mapIndex === 0)!.id));

    const listed = json<{ items: FlowRun[] }>(await sluice("flow-run", "ls", "--flow", "agent-squares", "--json"));
    assert.ok(listed.items.some((r) => r.id === id && r.state.name === "Success"));
  });

  it("a failing flow ends Failed with the task's error; watch exits 1", async () => {
    const id = await create("agent-failing");
    const watched = await runSluice(["flow-run", "watch", id, "--interval", "200", "--json"], env(), 90_000);
    assert.equal(watched.code, 1);
    const { flowRun, taskRuns } = json<{ flowRun: FlowRun; taskRuns: TaskRun[] }>(watched);
    assert.equal(flowRun.state.name, "Failed");
    assert.equal(taskRuns[0]!.state.error?.message, "boom went the task");
  });

  it("a cancelled run stops within seconds", async () => {
    const id = await create("agent-slow", "ms=60000");
    await waitFor("the task to run", async () => ((await client.listTaskRuns(id)).items.some((t) => t.state.name === "Running") ? true : undefined), 60_000);
    const cancelled = await sluice("flow-run", "cancel", id);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /was asked to cancel/);
    const run = await waitForRun(client, id, undefined, 15_000);
    assert.equal(run.state.name, "Cancelled");
  });

  it("a run whose processes are killed is failed by the zombie killer", async () => {
    const id = await create("agent-slow", "ms=120000");
    await waitForRun(client, id, ["Running"], 60_000);
    const stageA = await waitFor("the stage A log line", async () => (await client.readLogs(id)).items.find((l) => /^Stage A of flow run/.test(l.message)));
    const pid = Number((stageA.fields as { pid?: number }).pid);
    assert.ok(pid > 0);
    await agent.stop("SIGKILL"); // the machine is gone: first the agent...
    process.kill(pid, "SIGKILL"); // ...then the run's process
    const run = await waitForRun(client, id, undefined, 30_000);
    assert.equal(run.state.name, "Failed");
    assert.match(run.state.message!, /^No heartbeat for .* Failed by the zombie killer\.$/);
    const [task] = (await client.listTaskRuns(id)).items;
    assert.equal(task!.state.name, "Failed");
    agent = await startAgent(); // a new machine takes over
  });

  it("a server restart mid-run loses nothing", async () => {
    const id = await create("agent-steps", "ms=400");
    await waitFor(
      "two steps done",
      async () => ((await client.listTaskRuns(id)).items.filter((t) => t.state.name === "Success").length >= 2 ? true : undefined),
      60_000,
    );
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr.slice(-1000));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // A restart takes seconds; with the 4 s heartbeat limit of these tests the zombie killer would see the
    // outage as a dead run, so the restarted server gets a realistic limit.
    server = await startServer(port, { SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "60000" });
    const run = await waitForRun(client, id, undefined, 60_000);
    assert.equal(run.state.name, "Success", run.state.message);
    const taskRuns = (await client.listTaskRuns(id)).items;
    assert.equal(taskRuns.length, 12);
    assert.ok(taskRuns.every((t) => t.state.name === "Success"));
    const lines = (await client.readLogs(id)).items.map((l: LogRecord) => l.message).filter((m) => /^step \d+$/.test(m));
    assert.deepEqual(lines.sort(), Array.from({ length: 12 }, (_, i) => `step ${i}`).sort(), "every step's log line arrived");
  });
});
