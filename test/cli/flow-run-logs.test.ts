/**
 * `sluice flow-run logs`: the lines of a finished run, `--follow` until the run finishes (exit 0), and
 * Ctrl-C while following a run that goes on: exit 130, as `sluice run` and `flow-run watch`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient, type FlowRun } from "../../src/client/index.js";
import { json, startSluice } from "../e2e/support.js";
import { cliServer } from "./server-suite.js";

describe("flow-run logs against a server", { timeout: 180_000 }, () => {
  const server = cliServer("logs", "examples/hello.ts");
  const { env, sluice } = server;
  const execute = server.execute;
  const create = () => server.create("hello", "--param", "name=logs");

  it("--follow prints the lines as they come and exits 0 when the run finishes", async () => {
    const id = await create();
    const following = startSluice(["flow-run", "logs", id, "--follow"], env(), 90_000);
    const executed = await execute(id);
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
    await createClient({ url: server.url }).writeLogs([{ flowRunId: id, level: "info", message: "written by the test" }]);
    await following.waitFor(/INFO +written by the test/);
    const stopped = await following.stop("SIGINT");
    assert.equal(stopped.code, 130, stopped.stderr);
    const shown = json<{ flowRun: FlowRun }>(await sluice("flow-run", "show", id, "--json"));
    assert.equal(shown.flowRun.state.name, "Scheduled");
  });
});
