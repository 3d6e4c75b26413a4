import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type SluiceError } from "../../../src/core/errors.js";
import { flowEntry } from "../../../src/platforms/kubernetes/entry.js";
import {
  checkFlowRunId,
  dnsSlug,
  jobNameForRun,
  jobNameProblem,
  labelValueProblem,
  randomSuffix,
  withSuffix,
} from "../../../src/platforms/kubernetes/names.js";
import { checkSecretKeyRef, toEnvVars } from "../../../src/platforms/kubernetes/run-env.js";

describe("Kubernetes names", () => {
  it("checks Job names and label values against the Kubernetes rules", () => {
    assert.equal(jobNameProblem("etl-1"), undefined);
    assert.match(jobNameProblem("Etl")!, /lowercase/);
    assert.match(jobNameProblem("-etl")!, /lowercase/);
    assert.match(jobNameProblem("a".repeat(64))!, /64 characters long; the limit is 63/);
    assert.match(jobNameProblem("")!, /empty/);
    assert.equal(labelValueProblem(""), undefined);
    assert.equal(labelValueProblem("0b6c2a1e-3f4d-4e5f-9a8b-7c6d5e4f3a2b"), undefined);
    assert.match(labelValueProblem("a b")!, /letters, digits/);
    assert.match(labelValueProblem("x".repeat(64))!, /limit is 63/);
  });

  it("derives the same Job name from the same run id, within 63 characters", () => {
    const uuid = "0b6c2a1e-3f4d-4e5f-9a8b-7c6d5e4f3a2b";
    assert.equal(jobNameForRun("sluice", uuid), `sluice-${uuid}`);
    assert.equal(jobNameForRun("sluice", "abc"), jobNameForRun("sluice", "abc"));
    // The run id is never cut: a long prefix is.
    const longPrefix = jobNameForRun("a-very-long-prefix-that-takes-most-of-the-room", uuid);
    assert.ok(longPrefix.endsWith(uuid) && longPrefix.length <= 63, longPrefix);
    // Run ids that are not DNS labels, or are too long, get a hash: distinct ids, distinct names.
    assert.match(jobNameForRun("sluice", "ABC_def"), /^sluice-abc-def-[0-9a-f]{16}$/);
    assert.notEqual(jobNameForRun("sluice", "ABC"), jobNameForRun("sluice", "abc"));
    const long = jobNameForRun("sluice-agent", "x".repeat(100));
    const long2 = jobNameForRun("sluice-agent", `${"x".repeat(99)}y`);
    assert.ok(long.length <= 63 && long2.length <= 63);
    assert.notEqual(long, long2);
    for (const name of [long, long2, longPrefix]) assert.equal(jobNameProblem(name), undefined, name);
    assert.equal(dnsSlug("--Hello  World--"), "hello-world");
  });

  it("random suffixes are 8 characters of [a-z0-9] and the suffixed name stays valid", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const s = randomSuffix();
      assert.match(s, /^[a-z0-9]{8}$/);
      seen.add(s);
    }
    assert.ok(seen.size > 45, "suffixes differ");
    assert.equal(withSuffix("job", "abcdefgh"), "job-abcdefgh");
    const name = withSuffix(`${"a".repeat(53)}-${"b".repeat(9)}`, "abcdefgh");
    assert.equal(jobNameProblem(name), undefined, `${name} is valid`);
  });

  it("a flow-run id must be a label value", () => {
    assert.equal(checkFlowRunId("run-1"), "run-1");
    assert.throws(
      () => checkFlowRunId(undefined),
      (e: SluiceError) => e.code === "INVALID_INPUT" && e.field === "flowRunId",
    );
    assert.throws(() => checkFlowRunId("run id"), /cannot be a Kubernetes label value/);
  });
});

describe("run variables and the flow entry", () => {
  it("turns the run contract into container variables, the API key into a Secret reference", () => {
    const env = { SLUICE__API__URL: "http://api", SLUICE__API__KEY: "plain-secret", SLUICE__CONTEXT__FLOW_RUN_ID: "r1" };
    assert.deepEqual(toEnvVars(env), [
      { name: "SLUICE__API__URL", value: "http://api" },
      { name: "SLUICE__API__KEY", value: "plain-secret" },
      { name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: "r1" },
    ]);
    const withSecret = toEnvVars(env, { name: "sluice-api", key: "api-key" });
    assert.ok(!JSON.stringify(withSecret).includes("plain-secret"), "the plain key never reaches the manifest");
    assert.deepEqual(withSecret.at(-1), { name: "SLUICE__API__KEY", valueFrom: { secretKeyRef: { name: "sluice-api", key: "api-key" } } });
    assert.throws(
      () => checkSecretKeyRef({ name: "Bad_Name", key: "k" }, "--api-key-secret"),
      (e: SluiceError) => e.field === "--api-key-secret" && /Bad_Name/.test(e.message),
    );
    assert.throws(() => checkSecretKeyRef({ name: "ok", key: "a/b" }, "f"), /not a valid key/);
  });

  it("the first container runs `sluice execute flow` with the module and the flow", () => {
    assert.deepEqual(flowEntry({ module: "/opt/sluice/flows/a.mjs", flowName: "My flow" }), {
      command: ["sluice"],
      args: ["execute", "flow", "--module", "/opt/sluice/flows/a.mjs", "--flow", "My flow"],
    });
    assert.deepEqual(flowEntry({ module: "m", flowName: "f", sluiceCommand: ["node", "/x/bin/sluice.js"], parameters: { n: 2 }, executor: "concurrent" }), {
      command: ["node"],
      args: ["/x/bin/sluice.js", "execute", "flow", "--module", "m", "--flow", "f", "--parameters", '{"n":2}', "--executor", "concurrent"],
    });
    // A server's run: stage B finds everything from the run id and reports to the server.
    assert.deepEqual(flowEntry({ module: "m", flowName: "f", parameters: { n: 2 }, reportsToServer: true }), {
      command: ["sluice"],
      args: ["execute", "flow-run", "--stage", "run"],
    });
  });
});
