import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectParameters, parseParamArgs, parseParamValue, readParamsFile } from "../../src/cli/params.js";
import { SluiceError } from "../../src/core/errors.js";

describe("--param parsing", () => {
  it("parses values as JSON when they parse, else keeps the string", () => {
    assert.equal(parseParamValue("3"), 3);
    assert.equal(parseParamValue("true"), true);
    assert.equal(parseParamValue("null"), null);
    assert.deepEqual(parseParamValue('["a","b"]'), ["a", "b"]);
    assert.deepEqual(parseParamValue('{"x":1}'), { x: 1 });
    assert.equal(parseParamValue("world"), "world");
    assert.equal(parseParamValue('"quoted"'), "quoted");
    assert.equal(parseParamValue(""), "");
    assert.equal(parseParamValue("1e3"), 1000);
    assert.equal(parseParamValue("[oops"), "[oops");
  });

  it("splits at the first = only", () => {
    assert.deepEqual(parseParamArgs(["name=world", "expr=a=b", "n=2"]), { name: "world", expr: "a=b", n: 2 });
  });

  it("rejects an argument without = or without a name, naming it", () => {
    for (const bad of ["name", "=3", " =x"]) {
      assert.throws(
        () => parseParamArgs([bad]),
        (e: unknown) => e instanceof SluiceError && e.code === "INVALID_INPUT" && e.message.includes(JSON.stringify(bad)) && e.message.includes("name=value"),
      );
    }
  });

  it("rejects a parameter given twice, naming it", () => {
    assert.throws(
      () => parseParamArgs(["n=1", "n=2"]),
      (e: unknown) => e instanceof SluiceError && e.message.includes("--param n is given twice"),
    );
  });

  it("does not let __proto__ pollute the result", () => {
    const out = parseParamArgs(['__proto__={"polluted":true}']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(out), ["__proto__"]);
  });
});

describe("--params-file", () => {
  it("reads an object, and --param values win over it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-params-"));
    try {
      await writeFile(join(dir, "p.json"), JSON.stringify({ n: 1, name: "file" }));
      assert.deepEqual(await readParamsFile("p.json", dir), { n: 1, name: "file" });
      assert.deepEqual(await collectParameters({ paramsFile: "p.json", param: ["n=5"] }, dir), { n: 5, name: "file" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the file when it is missing, not JSON, or not an object", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-params-"));
    try {
      await writeFile(join(dir, "bad.json"), "{ nope");
      await writeFile(join(dir, "list.json"), "[1,2]");
      await assert.rejects(
        readParamsFile("missing.json", dir),
        (e: unknown) => e instanceof SluiceError && e.message.includes(join(dir, "missing.json")) && e.message.includes("cannot be read"),
      );
      await assert.rejects(readParamsFile("bad.json", dir), (e: unknown) => e instanceof SluiceError && e.message.includes("is not valid JSON"));
      await assert.rejects(readParamsFile("list.json", dir), (e: unknown) => e instanceof SluiceError && e.message.includes("must hold a JSON object"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
