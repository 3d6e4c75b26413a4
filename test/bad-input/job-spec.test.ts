/**
 * Bad Kubernetes job spec YAML (what KubernetesJobEnvironment's jobSpecFile holds): each error names the
 * file and the field, shows the value and says what to do.
 */
import { describe, it } from "node:test";
import { compileJobSpec } from "../../src/platforms/kubernetes/job-spec.js";
import { assertRefused, type Expectation } from "./clear-error.js";

const job = (spec: string): string => `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: etl\nspec:\n${spec}`;
const container = (fields: string): string => job(`  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: flow\n${fields}`);

const cases: (Expectation & { name: string; text: string })[] = [
  { name: "empty file", text: "", code: "INVALID_OPTION", field: "job_spec.yaml" },
  { name: "YAML that does not parse", text: "apiVersion: [batch/v1\n", code: "INVALID_OPTION", field: "job_spec.yaml" },
  { name: "not a Job", text: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n", code: "INVALID_OPTION", field: "apiVersion", shows: '"v1"' },
  { name: "two documents", text: `${job("  template: {}\n")}---\n${job("  template: {}\n")}`, code: "INVALID_OPTION", field: "job_spec.yaml" },
  { name: "spec a list", text: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  - 1\n", code: "INVALID_OPTION", field: "spec" },
  {
    name: "restartPolicy Always",
    text: job("  template:\n    spec:\n      restartPolicy: Always\n      containers:\n        - name: flow\n          image: x\n"),
    code: "INVALID_OPTION",
    field: "restartPolicy",
    shows: "Always",
  },
  {
    name: "a container without a name",
    text: container("          image: x\n").replace("- name: flow\n", "- \n"),
    code: "INVALID_OPTION",
    field: "containers",
  },
  {
    name: "env value a mapping",
    text: container("          env:\n            - name: A\n              value: { x: 1 }\n"),
    code: "INVALID_OPTION",
    field: "env",
  },
  {
    name: "job name with capitals",
    text: job("  template: {}\n").replace("name: etl", "name: My_Job"),
    code: "INVALID_OPTION",
    field: "metadata.name",
    shows: "My_Job",
  },
];

describe("bad job spec YAML", () => {
  for (const c of cases)
    it(c.name, async () => {
      await assertRefused(() => compileJobSpec({ file: "job_spec.yaml", text: c.text }), c, c.name);
    });
});
