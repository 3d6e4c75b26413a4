/**
 * Types flow through the graph: these assertions are checked by `tsc` (the @ts-expect-error lines must
 * stay errors) and the flow also runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { flow, task, unmapped, type AnyFlow, type Ref, type RunnableFlow } from "sluice";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T>(_value: T): void => undefined;
const assertType = <_T extends true>(): void => undefined;

const extract = task("extract", async () => [1, 2, 3]);
const transform = task("transform", async (x: number) => `#${x}`);
const load = task("load", async (xs: string[]) => xs.join(","));
const scale = task("scale", async ({ x, factor }: { x: number; factor: number }) => x * factor);
const fromSchema = task("from-schema", async ({ a, b }) => a.repeat(b), { input: z.object({ a: z.string(), b: z.number() }) });

describe("types", () => {
  it("flow through calls, maps and reduces, and into the run's value", async () => {
    const etl = flow("typed", { parameters: z.object({ factor: z.number().default(2) }) }, (p) => {
      const xs = extract();
      assertType<Equal<typeof xs, Ref<number[]>>>();
      const ys = transform.map(xs);
      assertType<Equal<typeof ys, Ref<string[]>>>();
      const joined = load(ys);
      const scaled = scale.map({ x: xs, factor: unmapped(p.factor) });
      // compile-time only: never called
      const _typeErrors = () => {
        // @ts-expect-error a list of numbers is not a list of strings
        load(xs);
        // @ts-expect-error extract takes no argument
        extract(1);
        // @ts-expect-error mapped fields must be lists (or unmapped)
        scale.map({ x: xs, factor: 2 });
      };
      const repeated = fromSchema({ a: "ab", b: 2 });
      assertType<Equal<typeof repeated, Ref<string>>>();
      return { joined, scaled, repeated };
    });
    const asAny: AnyFlow = etl;
    const asRunnable: RunnableFlow = etl;
    assert.equal(asAny.name, asRunnable.name);
    const result = await etl.run({ logLevel: "silent" });
    expectType<{ joined: string; scaled: number[]; repeated: string } | undefined>(result.value);
    assert.deepEqual(result.value, { joined: "#1,#2,#3", scaled: [2, 4, 6], repeated: "abab" });
    // @ts-expect-error parameters are typed
    await assert.rejects(etl.run({ logLevel: "silent", parameters: { factor: "x" } }));
  });
});
