import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { Flow, flow, task, unmapped, type Ref } from "sluice";
import { quiet, rejectsWith } from "./support.js";

const one = task("one", async () => 1);
const inc = task("inc", async (x: number) => x + 1);
const show = task("show", async ({ value }: { value: string }) => value);
const pair = task("pair", async ({ a, b }: { a: number; b: number }) => a + b);

describe("graph building", () => {
  it("gives nodes stable keys: name, then name-2, name-3 in definition order", () => {
    const build = () =>
      flow("keys", () => {
        const a = inc(one());
        inc(inc(a));
        return a;
      });
    const f = build();
    assert.deepEqual(f.taskKeys(), ["one", "inc", "inc-2", "inc-3"]);
    assert.deepEqual(build().taskKeys(), f.taskKeys(), "rebuilding the module gives the same keys");
  });

  it("skips keys already taken by a task whose name looks like a repeated key", () => {
    const sneaky = task("inc-2", async (x: number) => x);
    const f = flow("key-clash", () => inc(sneaky(inc(1))));
    assert.deepEqual(f.taskKeys(), ["inc", "inc-2", "inc-3"]);
  });

  it("describes tasks, upstream keys and mapping, and the parameters' JSON schema", () => {
    const f = flow("described", { parameters: z.object({ n: z.number().default(3), label: z.string() }), description: "demo" }, (p) => {
      const xs = task("list", async (n: number) => [n])(p.n);
      return inc.map(xs);
    });
    const d = f.describe();
    assert.equal(d.name, "described");
    assert.equal(d.description, "demo");
    assert.deepEqual(
      d.tasks.map((t) => ({ key: t.key, upstream: t.upstream, mapped: t.mapped })),
      [
        { key: "list", upstream: [], mapped: false },
        { key: "inc", upstream: ["list"], mapped: true },
      ],
    );
    assert.deepEqual(d.referenceTasks, ["inc"]);
    const schema = d.parameters as { properties: Record<string, { type: string; default?: unknown }>; required?: string[] };
    assert.equal(schema.properties.n?.type, "number");
    assert.equal(schema.properties.n?.default, 3);
    assert.deepEqual(schema.required, ["label"]);
  });

  it("records the defining module so other processes can import the flow", () => {
    const f = flow("located", () => one());
    assert.deepEqual(f.locator, { module: import.meta.url, flowName: "located" });
    const g = flow("explicit", { module: "file:///elsewhere/flows.js" }, () => one());
    assert.equal(g.locator?.module, "file:///elsewhere/flows.js");
  });

  it("rejects an asynchronous body and bad flow options", async () => {
    await rejectsWith(() => flow("async-body", {}, (async () => one()) as never), "GRAPH_INVALID", /synchronous/);
    await rejectsWith(() => flow("bad", { parameters: { n: 1 } as never }, () => one()), "INVALID_OPTION", /parameters/, /zod object/);
    await rejectsWith(() => flow("bad", { executor: 3 as never }, () => one()), "INVALID_OPTION", /executor/);
    await rejectsWith(() => flow("bad", { colour: "red" } as never), "INVALID_OPTION", /colour/, /unknown option/);
    await rejectsWith(() => flow("", () => one()), "INVALID_OPTION", /non-empty name/);
  });

  it("rejects refs from another flow and calls with several arguments", async () => {
    let foreign: Ref<number> | undefined;
    flow("other", () => (foreign = one()));
    await rejectsWith(() => flow("mine", () => inc(foreign!)), "GRAPH_INVALID", /belongs to flow "other"/);
    await rejectsWith(() => flow("two-args", () => (inc as unknown as (a: number, b: number) => unknown)(1, 2)), "GRAPH_INVALID", /one argument/);
  });

  it("checks field names of calls against the task's input schema", async () => {
    const strict = task("strict", async (input) => input.value, { input: z.object({ value: z.number() }) });
    await rejectsWith(
      () => flow("typo", () => strict({ valeu: one() } as never)),
      "GRAPH_INVALID",
      /task "strict" has no argument "valeu"/,
      /its arguments are: value/,
    );
    // names inferred from a destructuring are not enforced on calls (TypeScript checks those)
    assert.doesNotThrow(() => flow("extra-field", () => show({ value: "v", extra: one() } as never)));
  });
});

describe("map() at definition time", () => {
  it("rejects a literal that is not a list, naming the field", async () => {
    await rejectsWith(() => flow("m1", () => inc.map(5 as never)), "GRAPH_INVALID", /inc\.map\(\): the input is 5, not a list/);
    await rejectsWith(() => flow("m2", () => pair.map({ a: [1, 2], b: 3 as never })), "GRAPH_INVALID", /field "b" is 3, not a list/, /unmapped\(\)/);
  });

  it("rejects mapped literal lists of different lengths, naming them", async () => {
    await rejectsWith(() => flow("m3", () => pair.map({ a: [1, 2], b: [1, 2, 3] })), "GRAPH_INVALID", /a: 2, b: 3/);
  });

  it("rejects a map whose fields are all unmapped, and unmapped() outside map()", async () => {
    await rejectsWith(() => flow("m4", () => pair.map({ a: unmapped(1), b: unmapped(2) })), "GRAPH_INVALID", /every field is unmapped/);
    await rejectsWith(() => flow("m5", () => pair({ a: unmapped(1) as never, b: one() })), "GRAPH_INVALID", /only makes sense in task\.map/);
  });
});

describe("validation before running", () => {
  it("names the tasks of a cycle", async () => {
    const f = flow("cyclic", () => {
      const a = inc(one());
      inc(a);
    });
    f.setUpstream("one", "inc-2");
    await rejectsWith(() => f.run(quiet), "GRAPH_INVALID", /cycle/, /one → inc → inc-2 → one|inc → inc-2 → one → inc|inc-2 → one → inc → inc-2/);
    await rejectsWith(() => f.validate(), "GRAPH_INVALID", /cycle/);
  });

  it("names a task that depends on itself", async () => {
    const f = new Flow("self");
    f.addTask(one);
    f.setUpstream(one, one);
    await rejectsWith(() => f.run(quiet), "GRAPH_INVALID", /cycle: one → one/);
  });

  it("names an unknown reference task", async () => {
    const f = flow("refs", { referenceTasks: ["nope"] }, () => one());
    await rejectsWith(() => f.run(quiet), "GRAPH_INVALID", /reference task "nope"/, /keys are: one/);
  });
});

describe("imperative API", () => {
  it("builds a get_value -> output_value flow with setUpstream and bind", async () => {
    const getValue = task("get_value", async () => "Example!");
    const printed: string[] = [];
    const outputValue = task("output_value", async ({ value }: { value: string }) => {
      printed.push(value);
    });
    const f = flow("Kubernetes Job Environment w/ Resource Requests & Limits");
    f.setUpstream(outputValue, getValue);
    f.bind(outputValue, { value: getValue });
    assert.deepEqual(
      f.describe().tasks.map((t) => [t.key, t.upstream]),
      [
        ["output_value", ["get_value"]],
        ["get_value", []],
      ],
    );
    const result = await f.run(quiet);
    assert.equal(result.state.name, "Success");
    assert.deepEqual(printed, ["Example!"]);
    assert.deepEqual(
      result.taskRuns.map((t) => [t.taskKey, t.state.name]),
      [
        ["output_value", "Success"],
        ["get_value", "Success"],
      ],
    );
  });

  it("rejects a bind to an argument the task does not have, naming the allowed ones", async () => {
    const f = new Flow("bad-bind");
    await rejectsWith(() => f.bind(show, { valu: 1 }), "GRAPH_INVALID", /bind\(show\)/, /no argument "valu"/, /its arguments are: value/);
    await rejectsWith(() => f.bind(one, { x: 1 }), "GRAPH_INVALID", /no argument "x"/, /takes no argument/);
    const schemaTask = task("schema-task", async (i) => i, { input: z.object({ left: z.number(), right: z.number() }) });
    await rejectsWith(() => f.bind(schemaTask, { middle: 1 }), "GRAPH_INVALID", /its arguments are: left, right/);
  });

  it("binds values, refs and mapped fields; addTask is idempotent; parameters can be declared", async () => {
    const f = new Flow("imperative");
    const list = task("list", async (k: number) => Array.from({ length: k }, (_, i) => i));
    const listRef = f.addTask(list);
    assert.equal(f.addTask(list).key, listRef.key);
    assert.deepEqual(f.taskKeys(), ["list"]);
    const g = new Flow("imperative-2");
    const m = g.parameter("n", z.number().default(4));
    const start = g.addTask(task("start", async ({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i)));
    g.bind(start, { n: m });
    g.bind(pair, { a: start, b: unmapped(10) }, { mapped: true });
    const total = task("total", async ({ xs }: { xs: number[] }) => xs.reduce((s, x) => s + x, 0));
    g.bind(total, { xs: pair });
    const result = await g.run({ ...quiet, parameters: { n: 3 } });
    assert.equal(result.state.name, "Success", result.state.message);
    assert.deepEqual(result.result(g.addTask(pair)), [10, 11, 12]);
    assert.equal(result.result(g.addTask(total)), 33);
    assert.equal(result.result(m), 3);
    await rejectsWith(() => g.parameter("n", z.string()), "GRAPH_INVALID", /already has a parameter "n"/);
  });

  it("asks for a ref when a task has several nodes, and accepts node keys", async () => {
    const f = flow("ambiguous", () => inc(inc(1)));
    await rejectsWith(() => f.setUpstream(inc, one), "GRAPH_INVALID", /2 nodes \(inc, inc-2\)/, /pass the ref/);
    await rejectsWith(() => f.setUpstream("inc-9", "inc"), "GRAPH_INVALID", /"inc-9" is not a task key/);
    f.setUpstream("inc", one);
    assert.deepEqual(f.describe().tasks.find((t) => t.key === "inc")?.upstream, ["one"]);
  });

  it("lets the reference tasks decide the final state", async () => {
    const boom = task("boom", async () => {
      throw new Error("boom");
    });
    const f = flow("refs-decide", () => {
      boom();
      one();
    });
    assert.equal((await f.run(quiet)).state.name, "Failed");
    f.setReferenceTasks(one);
    const result = await f.run(quiet);
    assert.equal(result.state.name, "Success");
    assert.equal(result.taskRun("boom")?.state.name, "Failed");
  });
});

describe("where refs may appear", () => {
  it("resolves refs given as list elements, fields and elements of list fields", async () => {
    const total = task("total", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const label = task("label", async ({ name, parts }: { name: string; parts: number[] }) => `${name}:${parts.join("+")}`);
    const f = flow("ref-positions", () => {
      const a = inc(1);
      const b = inc(2);
      return { sum: total([a, b, 10]), text: label({ name: "s", parts: [a, b] }), mapped: inc.map([a, b]) };
    });
    const result = await f.run(quiet);
    assert.deepEqual(result.value, { sum: 15, text: "s:2+3", mapped: [3, 4] });
    assert.deepEqual(f.describe().tasks.find((t) => t.key === "total")?.upstream, ["inc", "inc-2"]);
  });

  it("rejects refs nested deeper, naming where", async () => {
    const any = task("any", async (x: unknown) => x);
    await rejectsWith(() => flow("deep-1", () => any({ outer: { inner: one() } })), "GRAPH_INVALID", /nested at input\.outer\.inner/);
    await rejectsWith(() => flow("deep-2", () => any([[one()]] as never)), "GRAPH_INVALID", /nested at input\[0\]\[0\]/);
    await rejectsWith(() => flow("deep-3", () => any({ a: one(), b: { c: one() } })), "GRAPH_INVALID", /nested at b\.c/);
  });
});
