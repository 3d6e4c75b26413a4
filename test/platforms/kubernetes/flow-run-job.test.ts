import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type SluiceError } from "../../../src/core/errors.js";
import { buildFlowRunJob, mergeEnv, type FlowRunJobOptions } from "../../../src/platforms/kubernetes/flow-run-job.js";
import { compileJobSpec } from "../../../src/platforms/kubernetes/job-spec.js";
import type { JobManifest } from "../../../src/platforms/kubernetes/manifest-types.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL, MAX_JOB_NAME } from "../../../src/platforms/kubernetes/names.js";

const RUN_ID = "0b6c2a1e-3f4d-4e5f-9a8b-7c6d5e4f3a2b";
const IDENTIFIER = "5f0e8d1c-2b3a-4c5d-8e9f-0a1b2c3d4e5f";

const seedsSpec = (): JobManifest =>
  compileJobSpec({ file: "job_spec.yaml", text: readFileSync(new URL("../../../examples/kubernetes/job_spec.yaml", import.meta.url), "utf8") });

const options = (over: Partial<FlowRunJobOptions> = {}): FlowRunJobOptions => ({
  image: "127.0.0.1:5000/k8s-job-flow:0.1.0",
  flowRunId: RUN_ID,
  identifier: IDENTIFIER,
  env: [
    { name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: RUN_ID },
    { name: "MY_ENV", value: "from-sluice" },
    { name: "SLUICE__API__KEY", valueFrom: { secretKeyRef: { name: "sluice-api", key: "api-key" } } },
  ],
  command: ["sluice"],
  args: ["execute", "flow", "--module", "/opt/sluice/flows/f.mjs", "--flow", "f"],
  ...over,
});

const specWith = (extra: string): JobManifest =>
  compileJobSpec({
    file: "spec.yaml",
    text: `apiVersion: batch/v1
kind: Job
metadata:
  name: etl
spec:
  backoffLimit: 0
  template:
    spec:
      serviceAccountName: runner
      nodeSelector: { pool: batch }
      tolerations: [{ key: spot, operator: Exists }]
      imagePullSecrets: [{ name: regcred }]
      volumes: [{ name: scratch, emptyDir: {} }]
      containers:
        - name: main
          image: user/own:1
          command: [python]
          args: [main.py]
          env: [{ name: SLUICE__LOGGING__LEVEL, value: debug }]
          volumeMounts: [{ name: scratch, mountPath: /scratch }]
        - name: sidecar
          image: envoy:1
          command: [envoy]
          args: [-c, /etc/envoy.yaml]
${extra}`,
  });

describe("buildFlowRunJob", () => {
  it("applies the seeds' mutations to the seeds' spec and keeps the user's resources", () => {
    const spec = seedsSpec();
    const before = structuredClone(spec);
    const job = buildFlowRunJob(spec, options());
    assert.deepEqual(spec, before, "the input is not mutated");
    assert.equal(job.metadata.name, "my-sluice-job");
    assert.deepEqual(job.metadata.labels, { identifier: IDENTIFIER, [IDENTIFIER_LABEL]: IDENTIFIER, [FLOW_RUN_ID_LABEL]: RUN_ID });
    assert.deepEqual(job.spec.template.metadata.labels, { identifier: IDENTIFIER, [IDENTIFIER_LABEL]: IDENTIFIER, [FLOW_RUN_ID_LABEL]: RUN_ID });
    const [container] = job.spec.template.spec.containers;
    assert.equal(container!.name, "flow-container");
    assert.equal(container!.image, "127.0.0.1:5000/k8s-job-flow:0.1.0");
    assert.deepEqual(container!.command, ["sluice"]);
    assert.deepEqual(container!.args, ["execute", "flow", "--module", "/opt/sluice/flows/f.mjs", "--flow", "f"]);
    assert.deepEqual(container!.resources, { limits: { cpu: "2", memory: "4G" }, requests: { cpu: "1", memory: "2G" } });
    assert.deepEqual(container!.env, [
      { name: "MY_ENV", value: "foo" },
      { name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: RUN_ID },
      { name: "SLUICE__API__KEY", valueFrom: { secretKeyRef: { name: "sluice-api", key: "api-key" } } },
    ]);
    assert.equal(job.spec.template.spec.restartPolicy, "Never");
  });

  it("fills the seeds' flow_run_id placeholder where the spec has it", () => {
    const spec = seedsSpec();
    spec.metadata.labels.flow_run_id = "";
    const job = buildFlowRunJob(spec, options());
    assert.equal(job.metadata.labels.flow_run_id, RUN_ID);
    assert.equal(job.spec.template.metadata.labels.flow_run_id, undefined, "not added where the spec did not have it");
  });

  it("changes only the first container's image, command and args; other containers keep theirs", () => {
    const spec = specWith("");
    delete spec.spec.template.spec.containers[0]!.command;
    delete spec.spec.template.spec.containers[0]!.args;
    const job = buildFlowRunJob(spec, options());
    const [main, sidecar] = job.spec.template.spec.containers;
    assert.equal(main!.image, "127.0.0.1:5000/k8s-job-flow:0.1.0");
    assert.deepEqual(main!.command, ["sluice"]);
    assert.deepEqual(main!.args, ["execute", "flow", "--module", "/opt/sluice/flows/f.mjs", "--flow", "f"]);
    assert.ok(!main!.env?.some((e) => e.name.startsWith("SLUICE_ENTRY_COMMAND")), "no entry variable when Sluice sets the command");
    assert.deepEqual(main!.volumeMounts, [{ name: "scratch", mountPath: "/scratch" }]);
    assert.equal(sidecar!.image, "envoy:1");
    assert.deepEqual(sidecar!.command, ["envoy"]);
    assert.deepEqual(sidecar!.args, ["-c", "/etc/envoy.yaml"]);
  });

  it("keeps a first container's own command and args, and gives it Sluice's entry as shell words and as JSON", () => {
    const job = buildFlowRunJob(specWith(""), options({ args: ["execute", "flow", "--module", "/opt/it's here.mjs", "--flow", "f"] }));
    const [main] = job.spec.template.spec.containers;
    assert.deepEqual(main!.command, ["python"], "the user's wrapper is kept");
    assert.deepEqual(main!.args, ["main.py"]);
    assert.equal(main!.image, "127.0.0.1:5000/k8s-job-flow:0.1.0", "the image is still the flow's");
    const value = (name: string) => main!.env?.find((e) => e.name === name)?.value;
    assert.equal(value("SLUICE_ENTRY_COMMAND"), `'sluice' 'execute' 'flow' '--module' '/opt/it'\\''s here.mjs' '--flow' 'f'`);
    assert.deepEqual(JSON.parse(value("SLUICE_ENTRY_COMMAND_JSON")!), ["sluice", "execute", "flow", "--module", "/opt/it's here.mjs", "--flow", "f"]);
    const argsOnly = specWith("");
    delete argsOnly.spec.template.spec.containers[0]!.command;
    const kept = buildFlowRunJob(argsOnly, options()).spec.template.spec.containers[0]!;
    assert.equal(kept.command, undefined, "args alone (the image's entrypoint with the user's args) are kept too");
    assert.deepEqual(kept.args, ["main.py"]);
  });

  it("adds the run variables by name to every container: the user's values win, nothing is duplicated", () => {
    const job = buildFlowRunJob(
      specWith(""),
      options({
        env: [
          { name: "SLUICE__LOGGING__LEVEL", value: "info" },
          { name: "SLUICE__API__URL", value: "http://api" },
        ],
      }),
    );
    const [main, sidecar] = job.spec.template.spec.containers;
    assert.deepEqual(
      main!.env?.filter((e) => !e.name.startsWith("SLUICE_ENTRY_COMMAND")),
      [
        { name: "SLUICE__LOGGING__LEVEL", value: "debug" },
        { name: "SLUICE__API__URL", value: "http://api" },
      ],
    );
    assert.deepEqual(sidecar!.env, [
      { name: "SLUICE__LOGGING__LEVEL", value: "info" },
      { name: "SLUICE__API__URL", value: "http://api" },
    ]);
  });

  it("leaves everything else deep-equal to the input", () => {
    const spec = specWith("");
    const job = buildFlowRunJob(spec, options());
    const strip = (j: JobManifest): unknown => {
      const c = structuredClone(j);
      delete c.metadata.labels[IDENTIFIER_LABEL];
      delete c.metadata.labels[FLOW_RUN_ID_LABEL];
      delete c.spec.template.metadata.labels[IDENTIFIER_LABEL];
      delete c.spec.template.metadata.labels[FLOW_RUN_ID_LABEL];
      for (const container of c.spec.template.spec.containers) delete container.env;
      const first = c.spec.template.spec.containers[0]!;
      delete first.image;
      delete first.command;
      delete first.args;
      return c;
    };
    assert.deepEqual(strip(job), strip(spec));
    assert.equal(job.spec.template.spec.serviceAccountName, "runner");
    assert.deepEqual(job.spec.template.spec.imagePullSecrets, [{ name: "regcred" }]);
    assert.equal(job.spec.backoffLimit, 0);
  });

  it("appends the unique suffix to the name, within 63 characters", () => {
    assert.equal(buildFlowRunJob(specWith(""), options({ uniqueSuffix: "a1b2c3d4" })).metadata.name, "etl-a1b2c3d4");
    const spec = specWith("");
    spec.metadata.name = "x".repeat(63);
    const name = buildFlowRunJob(spec, options({ uniqueSuffix: "a1b2c3d4" })).metadata.name!;
    assert.equal(name.length, MAX_JOB_NAME);
    assert.match(name, /^x{54}-a1b2c3d4$/);
  });

  it("generates a name from the run id when the spec has none (and keeps generateName when given)", () => {
    const spec = specWith("");
    delete spec.metadata.name;
    const job = buildFlowRunJob(spec, options());
    assert.equal(job.metadata.name, `sluice-${RUN_ID}`);
    assert.equal(buildFlowRunJob(spec, options()).metadata.name, job.metadata.name, "the same run gets the same name");
    assert.equal(buildFlowRunJob(spec, options({ uniqueSuffix: "zzzzzzzz" })).metadata.name, `sluice-${RUN_ID}-zzzzzzzz`);
    spec.metadata.generateName = "etl-";
    const generated = buildFlowRunJob(spec, options());
    assert.equal(generated.metadata.name, undefined);
    assert.equal(generated.metadata.generateName, "etl-");
  });

  it("fails before any API call on a missing image, a bad run id or another namespace", () => {
    assert.throws(
      () => buildFlowRunJob(specWith(""), options({ image: "" })),
      (e: SluiceError) => e.field === "image" && /metadata\.image/.test(e.message),
    );
    assert.throws(
      () => buildFlowRunJob(specWith(""), options({ flowRunId: "x".repeat(64) })),
      (e: SluiceError) => e.field === "flowRunId" && /limit is 63/.test(e.message),
    );
    assert.throws(
      () => buildFlowRunJob(specWith(""), options({ flowRunId: "" })),
      (e: SluiceError) => e.field === "flowRunId",
    );
    const spec = specWith("");
    spec.metadata.namespace = "data";
    assert.throws(
      () => buildFlowRunJob(spec, options({ namespace: "default" })),
      (e: SluiceError) => e.field === "metadata.namespace" && /"data" differs from the run's namespace "default"/.test(e.message),
    );
    assert.equal(buildFlowRunJob(spec, options({ namespace: "data" })).metadata.namespace, "data");
  });

  it("the user's labels stay; Sluice's own label keys always get this run's values", () => {
    const spec = specWith("");
    spec.metadata.labels = { team: "data", [FLOW_RUN_ID_LABEL]: "stale" };
    const job = buildFlowRunJob(spec, options());
    assert.deepEqual(job.metadata.labels, { team: "data", [FLOW_RUN_ID_LABEL]: RUN_ID, [IDENTIFIER_LABEL]: IDENTIFIER });
  });
});

describe("mergeEnv", () => {
  it("appends only the names that are missing, copies values, and keeps the order", () => {
    const add = [
      { name: "A", value: "1" },
      { name: "B", value: "2" },
      { name: "A", value: "3" },
    ];
    const merged = mergeEnv([{ name: "B", value: "user" }], add);
    assert.deepEqual(merged, [
      { name: "B", value: "user" },
      { name: "A", value: "1" },
    ]);
    merged[1]!.value = "changed";
    assert.equal(add[0]!.value, "1");
    assert.deepEqual(mergeEnv(undefined, []), []);
  });
});
