import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SluiceError } from "../../../src/core/errors.js";
import { compileJobSpec, loadJobSpec } from "../../../src/platforms/kubernetes/job-spec.js";

const compile = (text: string, uniqueJobName = false) => compileJobSpec({ file: "job_spec.yaml", text }, { uniqueJobName });

function rejects(text: string, match: { field?: string; message: RegExp }, uniqueJobName = false): SluiceError {
  let caught: unknown;
  try {
    compile(text, uniqueJobName);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SluiceError, `expected a SluiceError, got ${String(caught)}`);
  assert.equal(caught.code, "INVALID_OPTION");
  assert.match(caught.message, /job_spec\.yaml/, "the message names the file");
  assert.match(caught.message, match.message);
  if (match.field !== undefined) assert.equal(caught.field, match.field);
  return caught;
}

const SEEDS_SPEC = `apiVersion: batch/v1
kind: Job
metadata:
  name: my-prefect-job
  labels:
    identifier: ""
    flow_run_id: ""
spec:
  template:
    metadata:
      labels:
        identifier: ""
    spec:
      containers:
        - name: flow-container
          image: ""
          command: []
          args: []
          env:
            - name: MY_ENV
              value: foo
`;

describe("job spec loading and validation", () => {
  it("accepts the seeds' spec, keeps every field and adds restartPolicy Never when it is missing", () => {
    const spec = compile(SEEDS_SPEC);
    assert.deepEqual(spec.metadata, { name: "my-prefect-job", labels: { identifier: "", flow_run_id: "" } });
    assert.deepEqual(spec.spec.template.metadata, { labels: { identifier: "" } });
    assert.deepEqual(spec.spec.template.spec.containers, [
      { name: "flow-container", image: "", command: [], args: [], env: [{ name: "MY_ENV", value: "foo" }] },
    ]);
    assert.equal(spec.spec.template.spec.restartPolicy, "Never");
  });

  it("creates the missing sections: metadata, labels, template, template labels, template spec, containers", () => {
    const spec = compile("apiVersion: batch/v1\nkind: Job\n");
    assert.deepEqual(spec, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { labels: {} },
      spec: { template: { metadata: { labels: {} }, spec: { containers: [{ name: "flow-container" }], restartPolicy: "Never" } } },
    });
    const nulls = compile("apiVersion: batch/v1\nkind: Job\nmetadata:\n  labels:\nspec:\n  template:\n    metadata:\n    spec:\n      containers: []\n");
    assert.deepEqual(nulls.metadata.labels, {});
    assert.deepEqual(nulls.spec.template.metadata.labels, {});
    assert.deepEqual(nulls.spec.template.spec.containers, [{ name: "flow-container" }]);
  });

  it("keeps OnFailure and rejects Always, naming the field", () => {
    const base = "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: ";
    assert.equal(compile(`${base}OnFailure\n`).spec.template.spec.restartPolicy, "OnFailure");
    rejects(`${base}Always\n`, { field: "spec.template.spec.restartPolicy", message: /job_spec\.yaml:6: .*restartPolicy is "Always".*"Never" or "OnFailure"/ });
  });

  it("rejects what is not a batch/v1 Job", () => {
    rejects("apiVersion: v1\nkind: Pod\n", { field: "apiVersion", message: /apiVersion is "v1": must be "batch\/v1"/ });
    rejects("kind: Job\n", { field: "apiVersion", message: /apiVersion must be "batch\/v1"; start the file with apiVersion: batch\/v1/ });
    rejects("apiVersion: batch/v1\nkind: CronJob\n", { field: "kind", message: /kind is "CronJob": must be "Job"/ });
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  containers:\n    - name: a\n", { field: "spec.containers", message: /looks like a Pod spec/ });
    rejects("- a\n- b\n", { message: /must be a mapping/ });
    rejects("", { message: /is empty/ });
    rejects("apiVersion: batch/v1\nkind: Job\n---\napiVersion: batch/v1\nkind: Job\n", { message: /holds 2 YAML documents/ });
  });

  it("reports YAML syntax errors with the line", () => {
    const error = rejects("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: [unclosed\n", { field: "jobSpecFile", message: /is not valid YAML/ });
    assert.match(error.message, /job_spec\.yaml:\d+/);
  });

  it("names the field, the line and the value of schema errors, with a hint for unquoted strings", () => {
    const spec = `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      containers:
        - name: flow-container
          env:
            - name: PORT
              value: 8080
`;
    const error = rejects(spec, {
      field: "spec.template.spec.containers[0].env[0].value",
      message: /job_spec\.yaml:10: spec\.template\.spec\.containers\[0\]\.env\[0\]\.value is 8080: must be a string \(quote it in the YAML: "8080"\)/,
    });
    assert.equal(error.value, 8080);
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  backoffLimit: three\n", {
      field: "spec.backoffLimit",
      message: /spec\.backoffLimit is "three": must be an integer/,
    });
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - image: x\n", {
      field: "spec.template.spec.containers[0].name",
      message: /containers\[0\]\.name is required but missing/,
    });
    rejects(
      "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          resources:\n            limits:\n              cpu: true\n",
      {
        field: "spec.template.spec.containers[0].resources.limits.cpu",
        message: /cpu is true: must be a number or a string/,
      },
    );
    rejects("apiVersion: batch/v1\nkind: Job\nmetadata:\n  labels:\n    version: 1\n", { field: "metadata.labels.version", message: /quote it/ });
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers: {}\n", {
      field: "spec.template.spec.containers",
      message: /must be a list/,
    });
    rejects("apiVersion: batch/v1\nkind: Job\nmetadata: 3\n", { field: "metadata", message: /must be a mapping/ });
  });

  it("refuses fields Kubernetes does not know, naming the file, the line and the path, and suggesting the closest field", () => {
    const typo = `apiVersion: batch/v1
kind: Job
spec:
  template:
    spec:
      containers:
        - name: flow-container
          evn:
            - name: MY_ENV
              value: foo
`;
    const error = rejects(typo, {
      field: "spec.template.spec.containers[0].evn",
      message: /job_spec\.yaml:8: spec\.template\.spec\.containers\[0\]\.evn is not a field Kubernetes knows here: .*drop it.*; did you mean "env"\?$/,
    });
    assert.equal(error.value, undefined);
    // Every level is checked against its own schema: the Job, its metadata, the pod spec, a probe, a volume.
    rejects("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  lables: { a: b }\n", {
      field: "metadata.lables",
      message: /job_spec\.yaml:5: .*did you mean "labels"\?/,
    });
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  backofLimit: 2\n", { field: "spec.backofLimit", message: /:4: .*did you mean "backoffLimit"\?/ });
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartpolicy: Never\n", {
      field: "spec.template.spec.restartpolicy",
      message: /did you mean "restartPolicy"\?/,
    });
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      volumes:\n        - name: d\n          emptyDir: { sizeLimt: 1Gi }\n", {
      field: "spec.template.spec.volumes[0].emptyDir.sizeLimt",
      message: /did you mean "sizeLimit"\?/,
    });
    // Nothing close: the message lists the fields known there.
    rejects("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          gpus: 2\n", {
      field: "spec.template.spec.containers[0].gpus",
      message: /the fields known here are args, command, env, envFrom, image, .*workingDir$/,
    });
    // Several: the first is named, the others counted.
    rejects("apiVersion: batch/v1\nkind: Job\nspce: {}\nmetadta: {}\n", {
      field: "spce",
      message: /did you mean "spec"\? \(and 1 more unknown field: metadta\)/,
    });
  });

  it("accepts any key in maps (labels, annotations, limits, nodeSelector) and free-form fields", () => {
    const spec = compile(`apiVersion: batch/v1
kind: Job
metadata:
  labels: { anything: goes, "example.com/team": data }
  annotations: { "x/y": z }
spec:
  template:
    spec:
      nodeSelector: { "kubernetes.io/arch": amd64 }
      containers:
        - name: c
          resources:
            limits: { cpu: "1", "nvidia.com/gpu": "1" }
          livenessProbe:
            httpGet: { path: /healthz, port: 8080 }
`);
    assert.deepEqual(spec.spec.template.spec.containers[0]!.resources, { limits: { cpu: "1", "nvidia.com/gpu": "1" } });
    assert.equal(spec.metadata.labels["example.com/team"], "data");
  });

  it("checks the Job name, leaving room for the unique suffix", () => {
    rejects("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: My_Job\n", { field: "metadata.name", message: /not a valid Job name: use lowercase/ });
    const long = "a".repeat(60);
    assert.equal(compile(`apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${long}\n`).metadata.name, long);
    rejects(`apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${long}\n`, { field: "metadata.name", message: /limit is 54.*uniqueJobName appends/ }, true);
    rejects(`apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${"b".repeat(64)}\n`, { field: "metadata.name", message: /limit is 63/ });
  });

  it("keeps sidecars, volumes, tolerations and every other field as written", () => {
    const text = `apiVersion: batch/v1
kind: Job
metadata:
  name: full
  annotations: { team: data }
spec:
  backoffLimit: 2
  activeDeadlineSeconds: 600
  template:
    spec:
      serviceAccountName: runner
      nodeSelector: { disktype: ssd }
      tolerations: [{ key: gpu, operator: Exists, effect: NoSchedule }]
      imagePullSecrets: [{ name: regcred }]
      volumes: [{ name: data, emptyDir: {} }]
      containers:
        - name: flow-container
          volumeMounts: [{ name: data, mountPath: /data }]
        - name: sidecar
          image: busybox
          command: [sh, -c, "sleep 5"]
`;
    const spec = compile(text);
    assert.deepEqual(spec.metadata.annotations, { team: "data" });
    assert.equal(spec.spec.backoffLimit, 2);
    assert.equal(spec.spec.activeDeadlineSeconds, 600);
    assert.equal(spec.spec.template.spec.serviceAccountName, "runner");
    assert.deepEqual(spec.spec.template.spec.tolerations, [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }]);
    assert.deepEqual(spec.spec.template.spec.containers[1], { name: "sidecar", image: "busybox", command: ["sh", "-c", "sleep 5"] });
  });
});

describe("loadJobSpec", () => {
  it("reads a path relative to cwd or a file: URL, and names a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-jobspec-"));
    try {
      writeFileSync(join(dir, "job_spec.yaml"), SEEDS_SPEC);
      assert.equal(loadJobSpec("job_spec.yaml", { cwd: dir }).path, join(dir, "job_spec.yaml"));
      assert.equal(loadJobSpec(pathToFileURL(join(dir, "job_spec.yaml"))).spec.metadata.name, "my-prefect-job");
      mkdirSync(join(dir, "adir"));
      assert.throws(
        () => loadJobSpec("missing.yaml", { cwd: dir }),
        (e: SluiceError) => e.field === "jobSpecFile" && /"missing\.yaml" does not exist \(looked at .*missing\.yaml\)/.test(e.message),
      );
      assert.throws(() => loadJobSpec("adir", { cwd: dir }), /is a directory/);
      assert.throws(() => loadJobSpec(new URL("https://example.com/job.yaml")), /not a file: URL/);
      assert.throws(
        () => loadJobSpec(42),
        (e: SluiceError) => e.field === "jobSpecFile" && /is 42/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
