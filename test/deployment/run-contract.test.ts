import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../../src/config/schema.js";
import { SluiceError } from "../../src/core/errors.js";
import { envList, runContractEnv, RUN_CONTRACT_VARIABLES } from "../../src/deployment/run-contract.js";

const config = configSchema().parse({
  api: { url: "http://sluice.example:4200", key: "k-123" },
  context: { namespace: "team-a", flowId: "flow-9" },
  engine: { executor: "concurrent" },
  logging: { level: "debug", sendToApi: false, extraLoggers: ["db", "http"] },
});

describe("run contract", () => {
  it("gives every variable of spec §5 from the config and the run", () => {
    const env = runContractEnv({ config, flowRunId: "run-1", image: "reg/etl:1", flowFilePath: "/opt/sluice/flows/etl.mjs" });
    assert.deepEqual(env, {
      SLUICE__API__URL: "http://sluice.example:4200",
      SLUICE__API__KEY: "k-123",
      SLUICE__CONTEXT__FLOW_RUN_ID: "run-1",
      SLUICE__CONTEXT__FLOW_ID: "flow-9",
      SLUICE__CONTEXT__NAMESPACE: "team-a",
      SLUICE__CONTEXT__IMAGE: "reg/etl:1",
      SLUICE__CONTEXT__FLOW_FILE_PATH: "/opt/sluice/flows/etl.mjs",
      SLUICE__API__USE_LOCAL_SECRETS: "false",
      SLUICE__ENGINE__FLOW_RUNNER: "default",
      SLUICE__ENGINE__TASK_RUNNER: "default",
      SLUICE__ENGINE__EXECUTOR: "concurrent",
      SLUICE__LOGGING__LEVEL: "debug",
      SLUICE__LOGGING__SEND_TO_API: "false",
      SLUICE__LOGGING__EXTRA_LOGGERS: "db,http",
    });
    assert.deepEqual(Object.keys(env).sort(), [...RUN_CONTRACT_VARIABLES].sort());
  });

  it("keeps a value the user already set, and the user's other variables", () => {
    const env = runContractEnv(
      { config, flowRunId: "run-1" },
      { SLUICE__LOGGING__LEVEL: "error", SLUICE__API__USE_LOCAL_SECRETS: "true", MY_ENV: "foo", UNSET: undefined },
    );
    assert.equal(env.SLUICE__LOGGING__LEVEL, "error");
    assert.equal(env.SLUICE__API__USE_LOCAL_SECRETS, "true");
    assert.equal(env.MY_ENV, "foo");
    assert.equal("UNSET" in env, false);
    assert.equal(env.SLUICE__CONTEXT__FLOW_RUN_ID, "run-1");
  });

  it("explicit inputs win over the config; unknown optional values are left out, not empty", () => {
    const bare = configSchema().parse({});
    const env = runContractEnv({ config: bare, flowRunId: "r", apiUrl: "http://other:1", namespace: "ns", executor: "workers" });
    assert.equal(env.SLUICE__API__URL, "http://other:1");
    assert.equal(env.SLUICE__CONTEXT__NAMESPACE, "ns");
    assert.equal(env.SLUICE__ENGINE__EXECUTOR, "workers");
    for (const name of ["SLUICE__API__KEY", "SLUICE__CONTEXT__FLOW_ID", "SLUICE__CONTEXT__IMAGE", "SLUICE__CONTEXT__FLOW_FILE_PATH"])
      assert.equal(name in env, false, name);
    assert.equal(env.SLUICE__LOGGING__EXTRA_LOGGERS, "");
  });

  it("needs a flow run id", () => {
    assert.throws(
      () => runContractEnv({ config, flowRunId: "" }),
      (e: unknown) => e instanceof SluiceError && e.field === "flowRunId",
    );
  });

  it("formats NAME=value pairs for launchers", () => {
    assert.deepEqual(envList({ A: "1", B: "x=y" }), ["A=1", "B=x=y"]);
  });
});
