import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { flow, task } from "sluice";
import { quiet, recorder, rejectsWith } from "./support.js";

let calls = 0;
const echo = task("echo", async (v: unknown) => {
  calls++;
  return v;
});
const f = flow("params", { parameters: z.object({ n: z.number().int().default(3), name: z.string(), tags: z.array(z.string()).default([]) }) }, (p) => ({
  n: echo(p.n),
  name: echo(p.name),
  tags: echo(p.tags),
}));

describe("flow parameters", () => {
  it("gives the body a ref per parameter and applies defaults", async () => {
    const result = await f.run({ ...quiet, parameters: { name: "x" } });
    assert.deepEqual(result.value, { n: 3, name: "x", tags: [] });
    const typed: { n: number; name: string; tags: string[] } | undefined = result.value;
    assert.ok(typed);
  });

  it("names a missing parameter, before anything runs", async () => {
    const rec = recorder();
    calls = 0;
    const error = await rejectsWith(
      () => f.run({ ...quiet, observers: [rec.observer], parameters: {} as never }),
      "INVALID_PARAMETER",
      /missing parameter "name"/,
      /flow "params"/,
    );
    assert.equal(error.field, "name");
    assert.equal(calls, 0);
    assert.deepEqual(rec.events, []);
  });

  it("names an invalid parameter with its value", async () => {
    await rejectsWith(() => f.run({ ...quiet, parameters: { name: "x", n: "seven" as never } }), "INVALID_PARAMETER", /parameter "n" = "seven"/);
    await rejectsWith(() => f.run({ ...quiet, parameters: { name: "x", n: 1.5 } }), "INVALID_PARAMETER", /parameter "n" = 1\.5/);
    await rejectsWith(() => f.run({ ...quiet, parameters: { name: "x", tags: ["a", 2 as never] } }), "INVALID_PARAMETER", /parameter "tags\.1" = 2/);
  });

  it("names an unknown parameter and lists the known ones", async () => {
    const error = await rejectsWith(
      () => f.run({ ...quiet, parameters: { name: "x", colour: "red" } as never }),
      "INVALID_PARAMETER",
      /unknown parameter "colour" \(known: n, name, tags\)/,
    );
    assert.equal(error.field, "colour");
  });

  it("reports every problem at once", async () => {
    const error = await rejectsWith(() => f.run({ ...quiet, parameters: { n: "x", extra: 1 } as never }), "INVALID_PARAMETER", /extra/, /"n"/, /"name"/);
    assert.equal(error.field, "extra,n,name");
  });

  it("rejects parameters that are not an object", async () => {
    await rejectsWith(() => f.run({ ...quiet, parameters: [1] as never }), "INVALID_PARAMETER", /pass an object/);
  });

  it("types run options: parameters are optional only when every one has a default", async () => {
    const allDefaults = flow("defaults", { parameters: z.object({ k: z.number().default(1) }) }, (p) => echo(p.k));
    assert.equal((await allDefaults.run(quiet)).value, 1);
    // @ts-expect-error "name" is required, so run() needs options with parameters
    await rejectsWith(() => f.run(), "INVALID_PARAMETER", /missing parameter "name"/);
  });

  it("a flow without parameters: none needed, unknown ones named, the same schema as an empty zod object", async () => {
    const none = flow("no-params", {}, () => echo(1));
    const empty = flow("empty-params", { parameters: z.object({}) }, () => echo(1));
    assert.equal((await none.run(quiet)).value, 1);
    assert.deepEqual(none.validateParameters(undefined), {});
    assert.deepEqual(none.validateParameters({}), empty.validateParameters({}));
    for (const parameters of [{ colour: "red" }, [1], "x"]) {
      const errors = [none, empty].map((fl) => {
        try {
          fl.validateParameters(parameters);
          return undefined;
        } catch (error) {
          return { message: (error as Error).message.replace(fl.name, "<flow>"), field: (error as { field?: string }).field };
        }
      });
      assert.ok(errors[0], `${JSON.stringify(parameters)} is rejected`);
      assert.deepEqual(errors[0], errors[1]);
    }
    await rejectsWith(() => none.run({ ...quiet, parameters: { colour: "red" } as never }), "INVALID_PARAMETER", /unknown parameter "colour" \(known: none\)/);
    assert.deepEqual(Object.keys(none.parameters.shape), []);
    assert.deepEqual(none.parametersJsonSchema(), empty.parametersJsonSchema());
    assert.deepEqual(none.describe().parameters, { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: {} });
  });
});
