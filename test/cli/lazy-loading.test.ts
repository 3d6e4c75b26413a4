/**
 * Cold start: `import "sluice"` and `sluice run` of a local flow load no heavy SDK (the blocking preload
 * of the environments tests makes any import of one fail), `sluice run` loads no other command's
 * implementation (a recording preload lists every module the process resolves), and neither loads zod
 * unless the flow itself uses it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnNode, type NodeResult } from "../support/spawn-node.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BLOCK_HEAVY = fileURLToPath(new URL("../platforms/fixtures/block-heavy.mjs", import.meta.url));
const RECORD = fileURLToPath(new URL("./fixtures/record-modules.mjs", import.meta.url));
const LOCAL_FLOW = fileURLToPath(new URL("../platforms/fixtures/local-flow.ts", import.meta.url));
const ZOD_FREE_FLOW = fileURLToPath(new URL("../../bench/flows/three-tasks.mjs", import.meta.url));

/** Node with the source condition (Sluice from src/), otherwise bare: see spawnNode. */
const node = (args: string[], extraEnv: Record<string, string> = {}): Promise<NodeResult> => spawnNode(["--conditions=sluice-source", ...args], extraEnv);

describe("lazy loading", { timeout: 240_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-lazy-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('import "sluice" evaluates none of the heavy SDKs, nor zod', async () => {
    const script =
      'const s = await import("sluice"); process.stdout.write(String(typeof s.DockerEnvironment === "function" && typeof s.KubernetesJobEnvironment === "function"));';
    // tsx is loaded before the blocker, so esbuild (which tsx itself uses) can be blocked too.
    const r = await node(["--import", "tsx", "--import", BLOCK_HEAVY, "--input-type=module", "-e", script], { SLUICE_BLOCK_ALSO: "esbuild,zod" });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /heavy module loaded/);
    assert.equal(r.stdout, "true", "the environment classes are still exported");
  });

  it("the blocking preload catches a heavy import by subpath too (so the check above can fail)", async () => {
    const r = await node(["--import", BLOCK_HEAVY, "--input-type=module", "-e", 'await import("kubernetes-models/batch/v1/Job")']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /heavy module loaded: kubernetes-models \(kubernetes-models\/batch\/v1\/Job\)/);
  });

  it("sluice run of a .ts flow compiled on first use loads no heavy SDK and no other command's code", async () => {
    // A fresh copy under a new path: the compile cache misses, so this run compiles it.
    // .sluice-test/ is git-ignored: a fresh clone does not have it.
    mkdirSync(join(ROOT, ".sluice-test"), { recursive: true });
    const flowFile = join(ROOT, ".sluice-test", `lazy-${process.pid}-${Date.now()}.ts`);
    writeFileSync(flowFile, readFileSync(LOCAL_FLOW, "utf8"));
    const modules = join(dir, "modules.txt");
    try {
      const r = await node(["--import", BLOCK_HEAVY, "--import", RECORD, "bin/sluice.js", "run", flowFile, "--param", "a=40"], {
        SLUICE_DEV: "1",
        SLUICE_RECORD_MODULES: modules,
      });
      assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
      assert.match(r.stdout, /value: 42/);
      assert.doesNotMatch(r.stdout + r.stderr, /heavy module loaded/);
      const loaded = readFileSync(modules, "utf8").split("\n");
      const own = (folder: string): string[] => loaded.filter((url) => url.includes(`/src/${folder}/`));
      for (const folder of ["server", "client", "agents", "reporting", "cli/actions"]) {
        // The run action itself, and the agent kinds' list (a few lines, for `agent start`'s help).
        const unexpected = own(folder).filter((url) => !url.endsWith("/src/cli/actions/run.ts") && !url.endsWith("/src/agents/registry.ts"));
        assert.deepEqual(unexpected, [], `sluice run loaded src/${folder}`);
      }
      assert.ok(own("cli/actions").length === 1, "the run action itself was loaded");
      assert.ok(
        loaded.some((url) => url.includes("/sluice-ts-cache")),
        "the flow was imported from its compilation, not through tsx",
      );
    } finally {
      rmSync(flowFile, { force: true });
    }
  });

  it("sluice run of a flow without parameters resolves no module of zod; a flow with zod parameters still validates them", async () => {
    const zodModules = (lines: string[]): string[] => lines.filter((url) => url.includes("/node_modules/zod/"));
    const env = { SLUICE_DEV: "1", SLUICE__HOME: join(dir, "home") };
    const free = join(dir, "zod-free.txt");
    const r = await node(["--import", RECORD, "bin/sluice.js", "run", ZOD_FREE_FLOW], { ...env, SLUICE_RECORD_MODULES: free });
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stdout, /value: 60/);
    const loaded = readFileSync(free, "utf8").split("\n");
    assert.ok(
      loaded.some((url) => url.endsWith("/src/index.ts")),
      "the flow imported sluice from source",
    );
    assert.deepEqual(zodModules(loaded), [], "sluice run of a flow that does not use zod loaded zod");

    // The same recording sees zod when the flow declares zod parameters, and Sluice validates them.
    const withZod = join(dir, "zod.txt");
    const ok = await node(["--import", RECORD, "bin/sluice.js", "run", LOCAL_FLOW, "--param", "a=40"], { ...env, SLUICE_RECORD_MODULES: withZod });
    assert.equal(ok.code, 0, `stdout:\n${ok.stdout}\nstderr:\n${ok.stderr}`);
    assert.match(ok.stdout, /value: 42/);
    assert.notDeepEqual(zodModules(readFileSync(withZod, "utf8").split("\n")), [], "the recording does see zod");
    const bad = await node(["bin/sluice.js", "run", LOCAL_FLOW, "--param", "a=forty", "--param", "c=1"], env);
    assert.equal(bad.code, 2, `stdout:\n${bad.stdout}\nstderr:\n${bad.stderr}`);
    assert.match(bad.stderr, /unknown parameter "c" \(known: a, b\); parameter "a" = "forty": Invalid input: expected number, received string/);
  });
});
