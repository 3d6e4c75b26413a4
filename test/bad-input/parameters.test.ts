/**
 * Bad flow parameters, against the flow's parameter schema: unknown, missing, wrong types, failed
 * refinements. Each error names the parameter, shows the value and says what to do; no task starts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { flow } from "../../src/core/flow.js";
import { task } from "../../src/core/task.js";
import { validateParameters } from "../../src/core/parameters.js";
import { assertRefused, type Expectation } from "./clear-error.js";

const schema = z.object({
  n: z.number().int().min(1),
  name: z.string().min(1).max(20),
  mode: z.enum(["fast", "safe"]).default("safe"),
  when: z.iso.datetime().optional(),
  tags: z.array(z.string()).default([]),
  nested: z.object({ depth: z.number() }).optional(),
});

const cases: (Expectation & { name: string; raw: unknown })[] = [
  { name: "parameters not an object", raw: [1, 2], code: "INVALID_PARAMETER", field: "parameters", shows: "[1,2]" },
  { name: "parameters a string", raw: "n=1", code: "INVALID_PARAMETER", field: "parameters", shows: '"n=1"' },
  { name: "unknown parameter", raw: { n: 1, name: "a", colour: "red" }, code: "INVALID_PARAMETER", field: "colour" },
  { name: "missing required parameter", raw: { name: "a" }, code: "INVALID_PARAMETER", field: '"n"' },
  { name: "number given as a string", raw: { n: "3", name: "a" }, code: "INVALID_PARAMETER", field: '"n"', shows: '"3"' },
  { name: "number below its minimum", raw: { n: 0, name: "a" }, code: "INVALID_PARAMETER", field: '"n"', shows: "0" },
  { name: "fractional integer", raw: { n: 1.5, name: "a" }, code: "INVALID_PARAMETER", field: '"n"', shows: "1.5" },
  { name: "empty string", raw: { n: 1, name: "" }, code: "INVALID_PARAMETER", field: '"name"', shows: '""' },
  { name: "string too long", raw: { n: 1, name: "x".repeat(21) }, code: "INVALID_PARAMETER", field: '"name"' },
  { name: "enum value not allowed", raw: { n: 1, name: "a", mode: "turbo" }, code: "INVALID_PARAMETER", field: '"mode"', shows: '"turbo"' },
  { name: "date that is not ISO", raw: { n: 1, name: "a", when: "tomorrow" }, code: "INVALID_PARAMETER", field: '"when"', shows: '"tomorrow"' },
  { name: "list item of the wrong type", raw: { n: 1, name: "a", tags: ["x", 2] }, code: "INVALID_PARAMETER", field: '"tags.1"', shows: "2" },
  {
    name: "nested field of the wrong type",
    raw: { n: 1, name: "a", nested: { depth: "deep" } },
    code: "INVALID_PARAMETER",
    field: '"nested.depth"',
    shows: '"deep"',
  },
  { name: "unicode and control characters in a name", raw: { n: 1, name: "a", "\u0000\u202e名": 1 }, code: "INVALID_PARAMETER", field: "unknown parameter" },
];

describe("bad flow parameters", () => {
  for (const c of cases)
    it(c.name, async () => {
      await assertRefused(() => validateParameters("etl", schema, c.raw), c, c.name);
    });

  it("a run with bad parameters is refused before any task starts", async () => {
    let started = false;
    const work = task("work", () => {
      started = true;
    });
    const f = flow("etl", { parameters: schema }, () => {
      work();
    });
    await assertRefused(() => f.run({ parameters: { n: -1, name: "a" } }), { code: "INVALID_PARAMETER", field: '"n"', shows: "-1" }, "run");
    assert.equal(started, false, "no task ran");
  });

  it("a flow without parameters refuses any parameter, naming it", async () => {
    await assertRefused(() => validateParameters("plain", undefined, { x: 1 }), { code: "INVALID_PARAMETER", field: '"x"' }, "no schema");
  });
});
