import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnNode, type NodeResult } from "../support/spawn-node.js";
import { ConcurrentExecutor, DockerEnvironment, LocalEnvironment, SluiceError, createEnvironment, environmentKinds } from "sluice";
import { kindOfType } from "../../src/platforms/environment-registry.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** `sluice` from source, with the blocking preload that fails on any heavy SDK import. */
const runSluice = (args: string[], timeoutMs = 60_000): Promise<NodeResult> =>
  spawnNode(["--conditions=sluice-source", "--import", fixture("block-heavy.mjs"), "bin/sluice.js", ...args], { SLUICE_DEV: "1" }, timeoutMs);

describe("environment registry", () => {
  it("lists the kinds and maps serialized types back to kinds", () => {
    assert.deepEqual(environmentKinds().slice(0, 2), ["local", "docker"]);
    assert.equal(kindOfType("DockerEnvironment"), "docker");
    assert.equal(kindOfType("NoSuchEnvironment"), undefined);
  });

  it("creates environments from JSON options, resolving an executor kind", async () => {
    const local = await createEnvironment("local", { labels: ["b", "a"], executor: "concurrent", metadata: { team: "x" } });
    assert.ok(local instanceof LocalEnvironment);
    assert.deepEqual(local.serialize().labels, ["a", "b"]);
    assert.ok(local.executor instanceof ConcurrentExecutor);
    const docker = await createEnvironment("docker", { image: "reg/etl:1", env: { A: "1" }, pull: "never" });
    assert.ok(docker instanceof DockerEnvironment);
    assert.equal((docker as DockerEnvironment).pull, "never");
  });

  it("rejects an unknown kind listing the known ones, and bad options naming the field", async () => {
    await assert.rejects(createEnvironment("mainframe"), (e: unknown) => e instanceof SluiceError && /known kinds: local, docker/.test(e.message));
    await assert.rejects(
      createEnvironment("docker", { pull: "sometimes" }),
      (e: unknown) => e instanceof SluiceError && e.field === "pull" && /"sometimes"/.test(e.message),
    );
    await assert.rejects(createEnvironment("local", { labels: "x" }), (e: unknown) => e instanceof SluiceError && e.field === "labels");
    await assert.rejects(createEnvironment("local", { image: "x" }), (e: unknown) => e instanceof SluiceError && /unknown option "image"/.test(e.message));
    await assert.rejects(createEnvironment("local", { executor: "quantum" }), (e: unknown) => e instanceof SluiceError && /quantum/.test(e.message));
  });

  it("sluice run of a local flow (also --environment local) never loads dockerode or another heavy SDK", { timeout: 120_000 }, async () => {
    for (const extra of [[], ["--environment", "local"]]) {
      const result = await runSluice(["run", fixture("local-flow.ts"), "--param", "a=40", ...extra]);
      assert.equal(result.code, 0, `exit code 0 (${extra.join(" ")})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      assert.doesNotMatch(result.stdout + result.stderr, /heavy module loaded/);
      assert.match(result.stdout, /42/);
    }
  });

  it("the blocking preload does catch an import of dockerode (so the check above can fail)", { timeout: 60_000 }, async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", fixture("block-heavy.mjs"), "--input-type=module", "-e", 'await import("dockerode")'], { cwd: root });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /heavy module loaded: dockerode/);
  });
});
