import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FlowDescription } from "../../src/core/flow.js";
import type { TaskDescription } from "../../src/core/graph-plan.js";
import { formatParameters, formatTaskTree, typeLabel } from "../../src/cli/commands/flows.js";
import { fixture, runCli } from "./support.js";

const t = (key: string, upstream: string[] = [], extra: Partial<TaskDescription> = {}): TaskDescription => ({
  key,
  name: key.replace(/-\d+$/, ""),
  upstream,
  mapped: false,
  tags: [],
  trigger: "allSuccessful",
  retries: 0,
  timeoutMs: null,
  ...extra,
});

describe("sluice flows: formatting", () => {
  it("draws the DAG as a tree under each task's first upstream, naming the others", () => {
    const lines = formatTaskTree(
      [
        t("a"),
        t("b", ["a"], { mapped: true }),
        t("c", ["a"]),
        t("d", ["b", "c"], { retries: 2 }),
        t("e"),
        t("b-2", ["e"], { trigger: "anyFailed", tags: ["x"] }),
      ],
      ["d", "b-2"],
    );
    assert.deepEqual(lines, [
      "  tasks:",
      "    a",
      "    ├─ b  (mapped)",
      "    │  └─ d  (retries 2; also after c; reference)",
      "    └─ c",
      "    e",
      "    └─ b-2  (task b; trigger anyFailed; tags x; reference)",
    ]);
    assert.deepEqual(formatTaskTree([]), ["  tasks: none"]);
  });

  it("lists parameters with their type and default or whether they are required", () => {
    const schema: FlowDescription["parameters"] = {
      type: "object",
      properties: {
        n: { type: "integer", default: 3 },
        mode: { enum: ["fast", "slow"] },
        tags: { type: "array", items: { type: "string" }, description: "labels" },
        maybe: { anyOf: [{ type: "string" }, { type: "null" }] },
      },
      required: ["mode", "tags"],
    };
    assert.deepEqual(formatParameters(schema), [
      "  parameters:",
      "    n      integer  (default 3)",
      '    mode   "fast" | "slow"  (required)',
      "    tags   string[]  (required)  labels",
      "    maybe  string | null  (optional)",
    ]);
    assert.deepEqual(formatParameters({ type: "object", properties: {} }), ["  parameters: none"]);
    assert.equal(typeLabel({}), "any");
  });
});

describe("sluice flows (end to end)", { timeout: 120_000 }, () => {
  it("lists the flows of a TypeScript module with parameters and task trees", async () => {
    const r = await runCli(["flows", fixture("numbers.ts")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /flow "sum-of-squares": Sums the squares of 1\.\.n\n {2}parameters:\n {4}n {6}integer {2}\(default 3\)\n {4}label {2}string {2}\(default "total"\)\n {2}tasks:\n {4}range\n {4}└─ square {2}\(mapped\)\n {7}└─ sum {2}\(reference\)/,
    );
    assert.match(r.stdout, /flow "failing"\n {2}parameters: none/);
  });

  it("--json prints the descriptions, and a missing module exits 2", async () => {
    const r = await runCli(["flows", fixture("numbers.ts"), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { module: string; flows: FlowDescription[] };
    assert.equal(out.module, fixture("numbers.ts"));
    const sum = out.flows.find((f) => f.name === "sum-of-squares")!;
    assert.deepEqual(
      sum.tasks.map((x) => [x.key, x.upstream, x.mapped]),
      [
        ["range", [], false],
        ["square", ["range"], true],
        ["sum", ["square"], false],
      ],
    );
    assert.deepEqual(Object.keys((sum.parameters as { properties: object }).properties), ["n", "label"]);
    const missing = await runCli(["flows", fixture("missing.ts")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);
  });
});
