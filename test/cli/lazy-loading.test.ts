/**
 * Cold start: `import "sluice"` and `sluice run` of a local flow load no heavy SDK (the blocking preload
 * of the environments tests makes any import of one fail), and `sluice run` loads no other command's
 * implementation (a recording preload lists every module the process resolves).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BLOCK_HEAVY = fileURLToPath(new URL("../environments/fixtures/block-heavy.mjs", import.meta.url));
const RECORD = fileURLToPath(new URL("./fixtures/record-modules.mjs", import.meta.url));
const LOCAL_FLOW = fileURLToPath(new URL("../environments/fixtures/local-flow.ts", import.meta.url));

function node(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=sluice-source", ...args], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("lazy loading", { timeout: 240_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-lazy-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('import "sluice" evaluates none of the heavy SDKs', async () => {
    const script = 'const s = await import("sluice"); process.stdout.write(String(typeof s.DockerEnvironment === "function" && typeof s.KubernetesJobEnvironment === "function"));';
    // tsx is loaded before the blocker, so esbuild (which tsx itself uses) can be blocked too.
    const r = await node(["--import", "tsx", "--import", BLOCK_HEAVY, "--input-type=module", "-e", script], { SLUICE_BLOCK_ALSO: "esbuild" });
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
      assert.ok(loaded.some((url) => url.includes("/sluice-ts-cache")), "the flow was imported from its compilation, not through tsx");
    } finally {
      rmSync(flowFile, { force: true });
    }
  });
});
