import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inferArgNames } from "../../src/core/arg-names.js";

describe("inferArgNames", () => {
  const cases: Array<[string, (...args: never[]) => unknown, string[] | null]> = [
    ["arrow with destructuring", ({ a, b }: { a: number; b: number }) => a + b, ["a", "b"]],
    ["async arrow", async ({ value }: { value: string }) => value, ["value"]],
    ["defaults holding commas and calls", ({ a = Math.max(1, 2), b = "x,y" }: { a?: number; b?: string }) => [a, b], ["a", "b"]],
    ["renaming and nested patterns", ({ a: renamed, b: { c } }: { a: number; b: { c: number } }) => renamed + c, ["a", "b"]],
    ["second parameter ignored", ({ x }: { x: number }, _ctx: unknown) => x, ["x"]],
    [
      "function expression",
      function named({ p, q }: { p: number; q: number }) {
        return p + q;
      },
      ["p", "q"],
    ],
    [
      "async function",
      async function ({ z }: { z: number }) {
        return z;
      },
      ["z"],
    ],
    ["no parameters", () => 1, []],
    ["plain parameter", (input: unknown) => input, null],
    ["single identifier arrow", ((x: unknown) => x) as (...args: never[]) => unknown, null],
    ["rest element", ({ a, ...rest }: Record<string, number>) => [a, rest], null],
  ];
  for (const [name, fn, expected] of cases) {
    it(name, () => assert.deepEqual(inferArgNames(fn), expected));
  }

  it("reads a single unparenthesised parameter from source text", () => {
    const fn = new Function("return x => x")() as (...args: never[]) => unknown;
    assert.equal(inferArgNames(fn), null);
  });

  it("returns null for native functions", () => assert.equal(inferArgNames(Math.max as never), null));
});
