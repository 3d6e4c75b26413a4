/**
 * `sluice flow-run logs`: the lines of a finished run, `--follow` until the run finishes (exit 0), and
 * Ctrl-C while following a run that goes on: exit 130, as `sluice run` and `flow-run watch`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type FlowRun } from "../../src/client/index.js";
import { json, killAll, runSluice, startSluice, type SluiceProcess } from "../e2e/support.js";

describe("flow-run logs against a server", { timeout: 180_000 }, () => {
  let home: string;
  let url = "http://127.0.0.1:1";
  let server: SluiceProcess;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    ...extra,
  });
  const sluice = (...args: string[]) => runSluice(args, env(), 90_000);
  const create = async (): Promise<string> => {
    const created = await sluice("flow-run", "create", "hello", "--param", "name=logs", "--json");
    assert.equal(created.code, 0, created.stderr);
    return json<FlowRun>(created).id;
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-logs-"));
    server = startSluice(["server", "start", "--port", "0"], env(), 170_000);
    url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const registered = await sluice("register", "examples/hello.ts");
    assert.equal(registered.code, 0, registered.stderr);
  });
  after(async () => {
    await server?.stop();
    await killAll();
    await rm(home, { recursive: true, force: true });
  });

  it("--follow prints the lines as they come and exits 0 when the run finishes", async () => {
    const id = await create();
    const following = startSluice(["flow-run", "logs", id, "--follow"], env(), 90_000);
    const executed = await runSluice(["execute", "flow-run"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: id }), 90_000);
    assert.equal(executed.code, 0, executed.stderr.slice(-2000));
    const followed = await following.done;
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /INFO +\[say\] Hello, logs!/);
    const again = await sluice("flow-run", "logs", id);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, followed.stdout, "the same lines once the run is over");
  });

  it("Ctrl-C while following a run that has not finished: exit 130, the run goes on", async () => {
    const id = await create();
    const following = startSluice(["flow-run", "logs", id, "--follow"], env(), 60_000);
    // A line written while it follows shows that it is up and polling; then interrupt it.
    await createClient({ url }).writeLogs([{ flowRunId: id, level: "info", message: "written by the test" }]);
    await following.waitFor(/INFO +written by the test/);
    const stopped = await following.stop("SIGINT");
    assert.equal(stopped.code, 130, stopped.stderr);
    const shown = json<{ flowRun: FlowRun }>(await sluice("flow-run", "show", id, "--json"));
    assert.equal(shown.flowRun.state.name, "Scheduled");
  });
});
