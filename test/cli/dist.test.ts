/**
 * The built package (dist/, as `npm run build` writes it and as users and container images run it): a
 * bundle whose entry points keep their paths and whose shared code sits in dist/chunks/. Every
 * other suite runs Sluice from its sources; this one runs bin/sluice.js and `import "sluice"` against
 * dist/, so a path computed relative to a module (the worker thread's file, bin/sluice.js, Sluice's own
 * code for the TypeScript cache and the flow locator) or a class name lost to bundling fails here.
 * Under `npm test` the build runs first; alone, build first (a missing dist/ is a skip, a failure under CI).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnNode } from "../support/spawn-node.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "sluice.js");
const RECORD = fileURLToPath(new URL("./fixtures/record-modules.mjs", import.meta.url));
const built = existsSync(join(ROOT, "dist", "cli", "main.js"));
if (!built && process.env.CI === "true") throw new Error("dist/ is missing under CI: `npm test` builds it first (npm run build)");
const skip = built ? false : "dist/ is not built: run `npm run build` first";

/** Plain node, no source condition, no tsx: what a user's `npx sluice` does. */
const node = spawnNode;

describe("the built package (dist/)", { skip, timeout: 180_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-dist-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is a bundle: the entry points at their paths, shared chunks, declarations, no per-file output", () => {
    // (Cold start: `sluice run` reads index.js, cli/main.js and two chunks; see the next tests and W5.)
    for (const file of ["index.js", "index.d.ts", "cli/main.js", "executors/workers/worker.js", "core/flow.d.ts"]) {
      assert.ok(existsSync(join(ROOT, "dist", file)), `dist/${file} exists`);
    }
    assert.ok(existsSync(join(ROOT, "dist", "chunks")), "dist/chunks/ holds the shared code");
    assert.equal(existsSync(join(ROOT, "dist", "core", "flow.js")), false, "no per-file compiled output beside the bundle");
  });

  it('import "sluice" resolves to dist/ and keeps the class names serialized environments carry', async () => {
    const script = [
      'const s = await import("sluice");',
      "const env = new s.LocalEnvironment({ labels: ['a'] });",
      "console.log(JSON.stringify({ type: env.serialize().type, docker: s.DockerEnvironment.name, job: s.KubernetesJobEnvironment.name, url: import.meta.resolve('sluice') }));",
    ].join("\n");
    const r = await node(["--input-type=module", "-e", script]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { type: string; docker: string; job: string; url: string };
    assert.deepEqual([out.type, out.docker, out.job], ["LocalEnvironment", "DockerEnvironment", "KubernetesJobEnvironment"]);
    assert.match(out.url, /\/dist\/index\.js$/);
  });

  it("sluice --version prints the package's version", async () => {
    const r = await node([BIN, "--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  it("sluice run of a .ts flow on the workers executor: worker threads load dist's worker entry and the flow by its module", async () => {
    const r = await node([BIN, "run", "examples/etl.ts", "--param", "n=4", "--executor", "workers", "--json"], { SLUICE__HOME: dir });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { state: string; executor: string; module: string; counts: Record<string, number> };
    assert.equal(result.state, "Success");
    assert.equal(result.executor, "workers");
    assert.equal(result.module, join(ROOT, "examples", "etl.ts"), "the flow locator names the user's file, not a dist chunk");
    assert.equal(result.counts.Success, 6);
  });

  it("sluice run of a flow without zod loads neither zod nor pino, and 4 files of Sluice (cold start)", async () => {
    const record = join(dir, "modules.txt");
    const r = await node(["--import", RECORD, BIN, "run", "bench/flows/three-tasks.mjs"], { SLUICE_RECORD_MODULES: record, SLUICE__HOME: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ended Success/);
    const modules = readFileSync(record, "utf8").split("\n").filter(Boolean);
    assert.ok(
      modules.some((m) => m.includes("/dist/cli/main.js")),
      "the recording saw the CLI (so it can fail)",
    );
    assert.deepEqual(
      modules.filter((m) => /\/node_modules\/(zod|pino)\//.test(m)),
      [],
      "zod and pino are loaded only when a flow or a logger needs them",
    );
    // Sluice itself: the two entry points and the two chunks they share (scripts/build.mjs), nothing else.
    const own = [...new Set(modules.filter((m) => m.includes("/dist/")).map((m) => m.replace(/^.*\/dist\//, "").replace(/-[\w-]{8}\.js$/, ".js")))].sort();
    assert.deepEqual(own, ["chunks/cli.js", "chunks/core.js", "cli/main.js", "index.js"]);
  });
});
