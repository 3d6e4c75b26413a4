import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { relative } from "node:path";
import { SluiceError } from "../../src/core/errors.js";
import { isTsxPreloaded, loadFlow, loadFlows, locatorOf, pickFlow, resolveModule, withoutTsxFlags } from "../../src/core/load.js";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const loadError = (pattern: RegExp) => (e: unknown) => e instanceof SluiceError && e.code === "FLOW_LOAD_FAILED" && pattern.test(e.message);

describe("loadFlows", () => {
  it("imports a TypeScript module and finds its exported flows", async () => {
    const flows = await loadFlows(fixture("numbers.ts"));
    assert.deepEqual(flows.map((f) => f.name).sort(), ["failing", "ignores-cancel", "slow", "sum-of-squares"]);
  });

  it("accepts paths relative to the working directory and file: URLs", async () => {
    const rel = relative(process.cwd(), fixture("numbers.ts"));
    assert.equal((await loadFlows(rel)).length, 4);
    assert.equal((await loadFlows(pathToFileURL(fixture("numbers.ts")).href)).length, 4);
  });

  it("finds flows inside a default-exported object, once each", async () => {
    const flows = await loadFlows(fixture("default-export.ts"));
    assert.deepEqual(
      flows.map((f) => f.name),
      ["one", "two"],
    );
  });

  it("names a missing file", async () => {
    await assert.rejects(loadFlows(fixture("missing.ts")), loadError(/flow module .*fixtures\/missing\.ts does not exist/));
  });

  it("names the module and the cause when importing throws", async () => {
    await assert.rejects(loadFlows(fixture("throws.ts")), (e: unknown) => {
      assert.ok(e instanceof SluiceError && e.code === "FLOW_LOAD_FAILED");
      assert.match(e.message, /flow module .*fixtures\/throws\.ts failed to load: kaboom while importing/);
      assert.equal((e.cause as Error).message, "kaboom while importing");
      return true;
    });
  });

  it("says how to export a flow when a module has none, listing its exports", async () => {
    await assert.rejects(
      loadFlows(fixture("no-flows.ts")),
      loadError(/exports no flow \(its exports: answer, helper\); export one, e\.g\. export const myFlow = flow\(/),
    );
  });

  it("rejects two different flows with the same name", async () => {
    await assert.rejects(loadFlows(fixture("duplicate.ts")), loadError(/different flows with the same name: "same-name"/));
  });
});

describe("pickFlow and loadFlow", () => {
  it("picks the only flow, or the named one, and lists the flows otherwise", async () => {
    const flows = await loadFlows(fixture("numbers.ts"));
    assert.equal(pickFlow(flows, "slow", "m").name, "slow");
    assert.equal(pickFlow(flows.slice(0, 1), undefined, "m"), flows[0]);
    assert.throws(
      () => pickFlow(flows, undefined, "m.ts"),
      loadError(/m\.ts defines 4 flows \("failing", "ignores-cancel", "slow", "sum-of-squares"\); choose one by name \(--flow <name>\)/),
    );
    assert.throws(
      () => pickFlow(flows, "nope", "m.ts"),
      loadError(/m\.ts has no flow named "nope"; its flows are: "failing", "ignores-cancel", "slow", "sum-of-squares"/),
    );
  });

  it("loads a flow by locator, the same object every time", async () => {
    const locator = locatorOf("failing", fixture("numbers.ts"));
    assert.deepEqual(locator, { module: fixture("numbers.ts"), flowName: "failing" });
    const a = await loadFlow(locator);
    assert.equal(a.name, "failing");
    assert.equal(await loadFlow(locator), a);
    await assert.rejects(loadFlow({ module: fixture("numbers.ts"), flowName: "nope" }), loadError(/has no flow named "nope"/));
  });

  it("loads the flow its own locator points to", async () => {
    const [flow] = await loadFlows(fixture("default-export.ts"));
    assert.ok(flow?.locator);
    assert.equal(await loadFlow(flow.locator), flow);
  });
});

describe("module resolution and tsx flags", () => {
  it("treats bare names as package specifiers and paths as files", () => {
    assert.deepEqual(resolveModule("some-package/flows"), { kind: "package", specifier: "some-package/flows" });
    assert.equal(resolveModule(fixture("numbers.ts")).kind, "file");
    assert.throws(() => resolveModule(""), loadError(/give the path of a \.ts or \.js file/));
    assert.throws(() => resolveModule("./nope/flows.ts"), loadError(/does not exist/));
  });

  it("strips the flags that load tsx, and only those", () => {
    assert.deepEqual(
      withoutTsxFlags([
        "--conditions=sluice-source",
        "--import",
        "tsx",
        "--import=tsx/esm",
        "--loader",
        "file:///x/node_modules/tsx/dist/loader.mjs",
        "--import",
        "./other.js",
        "--max-old-space-size=100",
      ]),
      ["--conditions=sluice-source", "--import", "./other.js", "--max-old-space-size=100"],
    );
  });

  it("knows tsx is active in the test process", () => {
    assert.equal(isTsxPreloaded(), true);
  });
});
