/**
 * The TypeScript cache of the flow-loading path (src/core/typescript-cache.ts): a compiled flow must load
 * in a plain Node process (no tsx), keep its relative imports, import.meta.url and stack-trace locations,
 * import packages from where the original would, and be recompiled when one of its files changes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileTypeScript, exportConditions } from "../../src/core/typescript-cache.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Imports `url` in a plain Node process (no tsx, source maps on) and prints what `body` returns as JSON. */
function inPlainNode(url: string, body: string): Promise<{ code: number | null; out: unknown; stderr: string }> {
  const script = `const m = await import(${JSON.stringify(url)}); const out = await (async () => { ${body} })(); process.stdout.write(JSON.stringify(out));`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--enable-source-maps", "--input-type=module", "-e", script], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      let out: unknown;
      try {
        out = JSON.parse(stdout) as unknown;
      } catch {
        out = stdout;
      }
      resolve({ code, out, stderr });
    });
  });
}

describe("TypeScript cache", { timeout: 120_000 }, () => {
  // Inside the repository (git-ignored), so packages resolve from node_modules as they would for a user's flow.
  let dir: string;
  before(() => {
    mkdirSync(join(ROOT, ".sluice-test"), { recursive: true });
    dir = mkdtempSync(join(ROOT, ".sluice-test", "ts-cache-"));
    mkdirSync(join(dir, "lib"));
    writeFileSync(
      join(dir, "lib/helper.ts"),
      [
        "export const where: string = import.meta.url;",
        "export const version = 1;",
        "export function boom(): never {",
        '  throw new Error("boom in helper");',
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "entry.ts"),
      [
        'import { parse } from "yaml";',
        'import { boom, version, where } from "./lib/helper.js";',
        "interface Point { x: number }",
        "const p: Point = { x: 1 };",
        "export const info = { self: import.meta.url, dir: import.meta.dirname, file: import.meta.filename, helper: where, version, x: p.x };",
        'export const parsed = parse("a: 1") as unknown;',
        "export const yamlParse = parse;",
        "export function fail(): void {",
        "  boom();",
        "}",
        "",
      ].join("\n"),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles a flow and its relative .ts imports into modules a plain Node process loads, keeping import.meta and packages", async () => {
    const compiled = await compileTypeScript(join(dir, "entry.ts"), []);
    assert.ok(compiled, "compiled");
    assert.equal(compiled.needsTsx, false);
    const r = await inPlainNode(
      compiled.url,
      'const yaml = await import("yaml"); return { info: m.info, parsed: m.parsed, sameYaml: m.yamlParse === yaml.parse };',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.out, {
      info: {
        self: pathToFileURL(join(dir, "entry.ts")).href,
        dir,
        file: join(dir, "entry.ts"),
        helper: pathToFileURL(join(dir, "lib/helper.ts")).href,
        version: 1,
        x: 1,
      },
      parsed: { a: 1 },
      sameYaml: true,
    });
  });

  it("maps stack traces to the original .ts files and lines", async () => {
    const compiled = await compileTypeScript(join(dir, "entry.ts"), []);
    assert.ok(compiled);
    const r = await inPlainNode(compiled.url, "try { m.fail(); } catch (e) { return e.stack; }");
    assert.equal(r.code, 0, r.stderr);
    const stack = String(r.out);
    assert.ok(stack.includes(`${join(dir, "lib/helper.ts")}:4:9`), stack);
    assert.ok(stack.includes(`${join(dir, "entry.ts")}:9:3`), stack);
    assert.doesNotMatch(stack, /sluice-ts-cache/);
  });

  it("reuses the compilation while the files are unchanged, and recompiles when an imported file changes", async () => {
    const entry = join(dir, "entry.ts");
    const first = await compileTypeScript(entry, []);
    const again = await compileTypeScript(entry, []);
    assert.ok(first && again);
    assert.equal(again.url, first.url);
    const compiledText = readFileSync(fileURLToPath(first.url), "utf8");

    writeFileSync(join(dir, "lib/helper.ts"), readFileSync(join(dir, "lib/helper.ts"), "utf8").replace("version = 1", "version = 2"));
    const changed = await compileTypeScript(entry, []);
    assert.ok(changed);
    assert.notEqual(readFileSync(fileURLToPath(changed.url), "utf8"), compiledText, "the entry now imports the helper's new compilation");
    const r = await inPlainNode(changed.url, "return m.info.version;");
    assert.equal(r.out, 2, r.stderr);
  });

  it("leaves packages and Sluice's own code as they are: a flow importing sluice from source still needs tsx", async () => {
    const file = join(dir, "uses-sluice.ts");
    writeFileSync(file, 'import { flow } from "sluice";\nexport const f = flow("x", () => undefined);\n');
    const compiled = await compileTypeScript(file, ["sluice-source"]);
    assert.ok(compiled);
    assert.equal(compiled.needsTsx, true, "sluice resolves to src/index.ts under the sluice-source condition");
    const text = readFileSync(fileURLToPath(compiled.url), "utf8");
    assert.ok(text.includes(JSON.stringify(pathToFileURL(join(ROOT, "src/index.ts")).href)), text);

    // Without the condition, "sluice" is the built package: a separate compilation, which leaves the first intact.
    const built = await compileTypeScript(file, []);
    assert.ok(built);
    assert.notEqual(built.url, compiled.url);
    assert.ok(readFileSync(fileURLToPath(built.url), "utf8").includes(JSON.stringify(pathToFileURL(join(ROOT, "dist/index.js")).href)));
    assert.equal(readFileSync(fileURLToPath(compiled.url), "utf8"), text);
    assert.equal((await compileTypeScript(file, ["sluice-source"]))?.url, compiled.url);
  });

  it("compiles .tsx with the nearest tsconfig.json, and recompiles when that tsconfig changes", async () => {
    const sub = join(dir, "jsx");
    mkdirSync(sub);
    const tsconfig = (factory: string): string => JSON.stringify({ compilerOptions: { jsx: "react", jsxFactory: factory } });
    writeFileSync(join(sub, "tsconfig.json"), tsconfig("h"));
    writeFileSync(join(sub, "view.tsx"), "const h = (...a: unknown[]) => a;\nconst createElement = h;\nexport const view = <p>hi</p>;\nvoid createElement;\n");
    const first = await compileTypeScript(join(sub, "view.tsx"), []);
    assert.ok(first);
    assert.match(readFileSync(fileURLToPath(first.url), "utf8"), /\bh\("p", null, "hi"\)/);
    writeFileSync(join(sub, "tsconfig.json"), tsconfig("createElement"));
    const second = await compileTypeScript(join(sub, "view.tsx"), []);
    assert.ok(second);
    assert.match(readFileSync(fileURLToPath(second.url), "utf8"), /\bcreateElement\("p", null, "hi"\)/);
    assert.match(readFileSync(fileURLToPath(second.url), "utf8"), /void createElement/, "unused code is kept, as tsx keeps it");
  });

  it("declines what it cannot keep faithfully (other import.meta uses, computed import(), .cts): tsx loads those", async () => {
    const resolveUse = join(dir, "meta-resolve.ts");
    writeFileSync(resolveUse, 'export const u = import.meta.resolve("./x.js");\n');
    assert.equal(await compileTypeScript(resolveUse, []), undefined);
    const computed = join(dir, "computed.ts");
    writeFileSync(computed, 'const name = "./lib/helper.js";\nexport const load = () => import(name);\n');
    assert.equal(await compileTypeScript(computed, []), undefined);
    const cts = join(dir, "common.cts");
    writeFileSync(cts, "export const x = 1;\n");
    assert.equal(await compileTypeScript(cts, []), undefined);
    const broken = join(dir, "broken.ts");
    writeFileSync(broken, "export const = ;\n");
    assert.equal(await compileTypeScript(broken, []), undefined, "a syntax error is left to tsx, which reports it as before");
  });

  it(
    "never uses a cache directory that other users can write to",
    { skip: typeof process.getuid !== "function" ? "no uids on this platform" : false },
    async () => {
      const tmp = mkdtempSync(join(tmpdir(), "sluice-ts-tmp-"));
      const saved = process.env.TMPDIR;
      try {
        const cache = join(tmp, `sluice-ts-cache-${process.getuid!()}`);
        mkdirSync(cache);
        chmodSync(cache, 0o777);
        process.env.TMPDIR = tmp;
        assert.equal(await compileTypeScript(join(dir, "entry.ts"), []), undefined);
        chmodSync(cache, 0o700);
        assert.ok(await compileTypeScript(join(dir, "entry.ts"), []), "usable once private");
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );

  it("reads the export conditions from the node flags", () => {
    const conditions = exportConditions(["--conditions=sluice-source", "-C", "worker", "--import", "x"], "--conditions custom");
    assert.deepEqual(
      conditions.filter((c) => c !== "module-sync"),
      ["sluice-source", "worker", "custom"],
    );
  });
});
