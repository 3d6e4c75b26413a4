/**
 * The server-side CLI: its pure helpers, then the real binary against a server started with auth on
 * (auth create-key bootstraps the first key through the database), secrets, flow-run errors and exit codes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowRun, LogRecord, TaskRun } from "../../src/client/index.js";
import { SnapshotEvents, logEvent } from "../../src/cli/commands/flow-run-watch.js";
import { parseStartAt } from "../../src/cli/commands/flow-run.js";
import { parameterDefaults } from "../../src/cli/commands/register.js";
import { secretValue } from "../../src/cli/commands/secret.js";
import { agentOverrides } from "../../src/cli/commands/agent.js";
import { loadConfig } from "../../src/config/index.js";
import { FIXTURES } from "../agents/support.js";
import { json, killAll, runSluice, startSluice, type SluiceProcess } from "./support.js";

const state = (name: string, timestamp: string) => ({ name, timestamp }) as FlowRun["state"];

describe("server-side CLI helpers", () => {
  it("--start-at takes an ISO instant or a delay, and names the flag when it is neither", () => {
    const now = Date.parse("2026-01-01T00:00:00.000Z");
    assert.equal(parseStartAt("+90s", now), "2026-01-01T00:01:30.000Z");
    assert.equal(parseStartAt("+2h", now), "2026-01-01T02:00:00.000Z");
    assert.equal(parseStartAt("2026-03-04T05:06:07+01:00", now), "2026-03-04T04:06:07.000Z");
    assert.throws(
      () => parseStartAt("tomorrow", now),
      (e: Error & { field?: string }) => e.field === "--start-at" && /not a time; give an ISO 8601 instant/.test(e.message),
    );
  });

  it("reads the parameter defaults out of the JSON schema", () => {
    assert.deepEqual(parameterDefaults({ type: "object", properties: { n: { type: "integer", default: 3 }, name: { type: "string" } } }), { n: 3 });
    assert.deepEqual(parameterDefaults({ type: "object" }), {});
  });

  it("a secret's value is a string unless --json-value, and comes from the argument or a file (not both)", async () => {
    assert.equal(await secretValue("s3cr3t", {}), "s3cr3t");
    assert.deepEqual(await secretValue('{"user":"u"}', { jsonValue: true }), { user: "u" });
    await assert.rejects(secretValue("{nope", { jsonValue: true }), /--json-value: the value .* is not JSON/);
    await assert.rejects(secretValue(undefined, {}), /either as an argument or with --from-file/);
    await assert.rejects(secretValue("x", { fromFile: "/nonexistent" }), /either as an argument or with --from-file/);
    await assert.rejects(secretValue(undefined, { fromFile: "/nonexistent/secret.txt" }), /--from-file \/nonexistent\/secret\.txt cannot be read/);
  });

  it("agent flags become config overrides that the config schema validates", () => {
    const config = loadConfig({
      file: false,
      env: {},
      overrides: agentOverrides({ label: ["gpu", "linux"], name: "a", acceptUnlabelled: true, maxRuns: "3", keepContainers: true, network: "bridge" }),
    });
    assert.deepEqual(config.agent.labels, ["gpu", "linux"]);
    assert.equal(config.agent.maxConcurrentRuns, 3);
    assert.equal(config.agent.acceptUnlabelled, true);
    assert.equal(config.agent.dockerNetwork, "bridge");
    assert.throws(
      () => loadConfig({ file: false, env: {}, overrides: agentOverrides({ label: [], maxRuns: "zero" }) }),
      /agent\.maxConcurrentRuns \(SLUICE__AGENT__MAX_CONCURRENT_RUNS\) is "zero", which is invalid: .*Fix the command-line flag that sets it/,
    );
  });

  it("watch turns successive snapshots into run events: flow Running first, changed task runs, logs, final state last", () => {
    const differ = new SnapshotEvents();
    const run = { id: "r", flowName: "f", state: state("Running", "2026-01-01T00:00:01.000Z") } as FlowRun;
    const task = (version: number, name: string): TaskRun =>
      ({ id: "t", taskKey: "k", taskName: "k", mapIndex: -1, version, state: state(name, `2026-01-01T00:00:0${version}.000Z`) }) as TaskRun;
    const log = {
      id: "1",
      flowRunId: "r",
      taskRunId: "t",
      level: "fatal",
      message: "m",
      timestamp: "2026-01-01T00:00:02.000Z",
      fields: { taskName: "k", mapIndex: 2, x: 1 },
    } as LogRecord;
    const first = differ.events({ run, taskRuns: [task(1, "Running")], logs: [log] });
    assert.deepEqual(
      first.map((e) => e.type),
      ["flow-run-state", "task-run-state", "log"],
    );
    assert.deepEqual(logEvent(log), {
      type: "log",
      record: { level: "error", message: "m", timestamp: log.timestamp, flowRunId: "r", taskRunId: "t", taskName: "k", mapIndex: 2, fields: { x: 1 } },
    });
    assert.deepEqual(differ.events({ run, taskRuns: [task(1, "Running")], logs: [] }), [], "nothing changed, nothing to show");
    const done = differ.events({ run: { ...run, state: state("Success", "2026-01-01T00:00:09.000Z") }, taskRuns: [task(2, "Success")], logs: [] });
    assert.deepEqual(
      done.map((e) => (e.type === "log" ? "log" : `${e.type} ${e.state.name}`)),
      ["task-run-state Success", "flow-run-state Success"],
    );
  });
});

describe("server-side CLI against a server with auth on", { timeout: 180_000 }, () => {
  let home: string;
  let url = "http://127.0.0.1:1";
  let server: SluiceProcess;
  let key = "";
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__SERVER__AUTH: "true",
    ...(key ? { SLUICE__API__KEY: key } : {}),
    ...extra,
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-e2e-cli-"));
    server = startSluice(["server", "start", "--port", "0"], env(), 170_000);
    url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+) \(database sqlite:.*, auth on\)/))[1]!;
  });
  after(async () => {
    await server?.stop();
    await killAll();
    await rm(home, { recursive: true, force: true });
  });

  it("auth create-key bootstraps the first key straight into the database; the API then takes it", async () => {
    const refused = await runSluice(["flow-run", "ls"], env());
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /error: /);
    const created = await runSluice(["auth", "create-key", "--name", "admin", "--json"], env());
    assert.equal(created.code, 0, created.stderr);
    const info = json<{ key: string; name: string; via: string }>(created);
    assert.equal(info.via, "database");
    key = info.key;
    const listed = await runSluice(["auth", "ls", "--json"], env());
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      json<{ items: { name: string }[] }>(listed).items.map((k) => k.name),
      ["admin"],
    );
    const second = await runSluice(["auth", "create-key", "--name", "agent"], env());
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /through the API/);
    assert.ok(second.stdout.trim().length > 20, "the key is printed on stdout");
  });

  it("secret set, ls and rm; ls never shows values", async () => {
    const file = join(home, "creds.json");
    await writeFile(file, JSON.stringify({ user: "u", password: "p4ss" }));
    assert.equal((await runSluice(["secret", "set", "registry", "--from-file", file, "--json-value"], env())).code, 0);
    assert.equal((await runSluice(["secret", "set", "token", "abc"], env())).code, 0);
    const listed = await runSluice(["secret", "ls"], env());
    assert.match(listed.stdout, /^NAME +CREATED +UPDATED\nregistry .*\ntoken /m);
    assert.doesNotMatch(listed.stdout, /p4ss|abc/);
    const removed = await runSluice(["secret", "rm", "token", "--json"], env());
    assert.deepEqual(json(removed), { name: "token", deleted: true });
    assert.deepEqual(
      json<{ items: { name: string }[] }>(await runSluice(["secret", "ls", "--json"], env())).items.map((s) => s.name),
      ["registry"],
    );
  });

  it("flow-run create: bad input exits 2 naming the flag or field; an unknown run exits 1", async () => {
    const registered = await runSluice(["register", FIXTURES, "--flow", "agent-squares"], env());
    assert.equal(registered.code, 0, registered.stderr);
    const badTime = await runSluice(["flow-run", "create", "agent-squares", "--start-at", "soon"], env());
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--start-at "soon" is not a time/);
    const badParam = await runSluice(["flow-run", "create", "agent-squares", "--param", "n=zero"], env());
    assert.equal(badParam.code, 2, badParam.stderr);
    assert.match(badParam.stderr, /parameters/);
    const later = await runSluice(["flow-run", "create", "agent-squares", "--param", "n=2", "--start-at", "+1h", "--label", "nobody", "--json"], env());
    assert.equal(later.code, 0, later.stderr);
    const run = json<FlowRun>(later);
    assert.equal(run.state.name, "Scheduled");
    assert.deepEqual(run.labels, ["nobody"]);
    assert.ok(Date.parse(run.scheduledStart) > Date.now() + 50 * 60_000);
    const cancelled = await runSluice(["flow-run", "cancel", run.id], env());
    assert.match(cancelled.stdout, /is Cancelled/);
    const unknown = await runSluice(["flow-run", "show", "no-such-run"], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no-such-run/);
  });

  it("a command against a server that is not there says how to fix it", async () => {
    const result = await runSluice(["flow-run", "ls"], env({ SLUICE__API__URL: "http://127.0.0.1:9" }));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot reach the Sluice server at http:\/\/127\.0\.0\.1:9 .*start it with `sluice server start` or check SLUICE__API__URL/);
  });
});
