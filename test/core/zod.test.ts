/**
 * The lazy zod loader: one zod instance shared with the flow's own `import "zod"`, schemas built once on
 * first use, and a clear error where require(esm) is unavailable. Run in child processes: the test runner's
 * `--import tsx` also hooks require(), which loads a second copy of zod (see src/core/zod.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SluiceError } from "../../src/core/errors.js";
import { lazy, zod } from "../../src/core/zod.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ZOD_TS = pathToFileURL(fileURLToPath(new URL("../../src/core/zod.ts", import.meta.url))).href;

/** Runs an ES module script with TypeScript loaded through tsx's ESM hooks only (as bin/sluice.js does with SLUICE_DEV=1). */
function script(source: string, nodeFlags: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, [...nodeFlags, "--conditions=sluice-source", "--import", "tsx/esm", "--input-type=module", "-e", source], {
    cwd: ROOT,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("lazy zod", () => {
  it("builds a value on first use only, once", () => {
    let builds = 0;
    const schema = lazy((z) => {
      builds++;
      return z.object({ n: z.number().default(3) });
    });
    assert.equal(builds, 0);
    assert.deepEqual(schema().parse({}), { n: 3 });
    assert.equal(schema(), schema());
    assert.equal(builds, 1);
    assert.equal(zod(), zod());
  });

  it("is the zod instance the flow's own import gets", () => {
    const r = script(
      `import { zod } from ${JSON.stringify(ZOD_TS)}; const { z } = await import("zod"); process.stdout.write(String(zod() === z && zod().object === z.object));`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "true");
  });

  it("says which Node.js it needs where require(esm) is unavailable", () => {
    const source = `import { zod } from ${JSON.stringify(ZOD_TS)}; try { zod(); } catch (e) { process.stdout.write(JSON.stringify({ name: e.name, code: e.code, field: e.field, message: e.message })); }`;
    const r = script(source, ["--no-experimental-require-module"]);
    assert.equal(r.status, 0, r.stderr);
    const error = JSON.parse(r.stdout) as SluiceError;
    assert.equal(error.name, "SluiceError");
    assert.equal(error.code, "INTERNAL");
    assert.equal(error.field, "node");
    assert.match(error.message, /needs Node\.js >= 20\.19 \(>= 22\.12 on Node 22\).*this is Node\.js v\d+/);
  });
});
