/** What a DockerEnvironment's container runs: stage "run" for a deployed run, the event stream without a server. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../../src/config/schema.js";
import { containerCommand } from "../../../src/platforms/docker/container-command.js";
import { deployedOutcome } from "../../../src/platforms/docker/docker-environment.js";
import { containerExit } from "./docker-fixture.js";
import type { SluiceError } from "../../../src/core/errors.js";

const base = { flowName: "etl", module: "/opt/flows/etl.mjs", image: "reg/etl:1", flowRunId: "run-1", parameters: { n: 3 }, userEnv: { MY: "x" } };

describe("the command of a DockerEnvironment's container", () => {
  it("runs stage run with the run contract when the flow is registered: the container reports to the server itself", () => {
    const config = configSchema().parse({ api: { url: "http://server:4200", key: "k" }, reporter: { heartbeatIntervalMs: 500 } });
    const run = containerCommand({ ...base, config, flowId: "flow-9" });
    assert.equal(run.deployed, true);
    assert.deepEqual(run.cmd, ["sluice", "execute", "flow-run", "--stage", "run"]);
    assert.equal(run.env.SLUICE__CONTEXT__FLOW_RUN_ID, "run-1");
    assert.equal(run.env.SLUICE__CONTEXT__FLOW_ID, "flow-9");
    assert.equal(run.env.SLUICE__API__URL, "http://server:4200");
    assert.equal(run.env.SLUICE__API__KEY, "k");
    assert.equal(run.env.SLUICE__CONTEXT__IMAGE, "reg/etl:1");
    assert.equal(run.env.SLUICE__CONTEXT__FLOW_FILE_PATH, "/opt/flows/etl.mjs");
    assert.equal(run.env.SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS, "500", "the reporting pace is inherited");
    assert.equal(run.env.MY, "x");
    assert.ok(!run.cmd.includes("--parameters"), "a deployed run reads its parameters from the server");
  });

  it("takes the flow id from the configuration (a run deployed by an agent)", () => {
    const config = configSchema().parse({ context: { flowId: "flow-7", flowRunId: "run-1" } });
    assert.equal(containerCommand({ ...base, config }).deployed, true);
  });

  it("streams events without a server, with the parameters and an executor override", () => {
    const run = containerCommand({ ...base, config: configSchema().parse({}), executor: "concurrent" });
    assert.equal(run.deployed, false);
    assert.deepEqual(run.cmd, [
      "sluice",
      "execute",
      "flow",
      "--module",
      "/opt/flows/etl.mjs",
      "--flow",
      "etl",
      "--parameters",
      '{"n":3}',
      "--events",
      "--executor",
      "concurrent",
    ]);
    assert.equal(run.env.SLUICE__CONTEXT__FLOW_ID, undefined);
  });
});

describe("how a deployed run's container ended", () => {
  const exit = containerExit;

  it("exit 0 or 1: the run ended itself and said so to the server", () => {
    for (const code of [0, 1]) assert.equal(deployedOutcome(exit({ exitCode: code }), "reg/etl:1").kind, "launched");
  });

  it("killed, out of memory or any other exit: stage deploy fails the run with the container's reason", () => {
    assert.throws(
      () => deployedOutcome(exit({ exitCode: 137, signal: "SIGKILL" }), "img"),
      (e: SluiceError) => e.code === "ENVIRONMENT_ERROR" && /killed by SIGKILL/.test(e.message),
    );
    assert.throws(() => deployedOutcome(exit({ exitCode: 137, oomKilled: true }), "img"), /ran out of memory/);
    assert.throws(() => deployedOutcome(exit({ exitCode: 2, stderrTail: ["bad input"] }), "img"), /exited with code 2 .*bad input/);
    assert.throws(
      () => deployedOutcome(exit({ exitCode: 130, signal: "SIGINT", cancelled: true }), "img"),
      (e: SluiceError) => e.code === "CANCELLED",
    );
  });
});
