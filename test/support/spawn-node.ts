/**
 * Spawns a bare Node process in the repository root for cold-start and packaging tests: no NODE_OPTIONS
 * (so no tsx preloaded from the test runner), no SLUICE_DEV, and none of the developer's Sluice settings
 * (SLUICE__*, SLUICE_CONFIG): the child gets exactly the environment the test gives it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface NodeResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node ...args` (killed after `timeoutMs`, default 90 s) and collects its output. */
export function spawnNode(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 90_000): Promise<NodeResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("SLUICE__") || ["SLUICE_CONFIG", "SLUICE_DEV", "NODE_OPTIONS", "NODE_TEST_CONTEXT"].includes(name)) delete env[name];
  }
  Object.assign(env, extraEnv);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
