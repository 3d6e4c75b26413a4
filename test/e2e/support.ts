/**
 * End-to-end helpers: the real `sluice` binary (bin/sluice.js from source: SLUICE_DEV=1 and the
 * sluice-source condition) with its own SLUICE__HOME, long-running ones (server, agent) as tracked
 * processes that are always stopped, and bounded waits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { inheritedEnv } from "../../src/config/index.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));

export interface SluiceResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SluiceProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout (or stderr with `stream`). */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after 10 s. */
  stop(signal?: NodeJS.Signals): Promise<SluiceResult>;
  done: Promise<SluiceResult>;
}

/** The environment of a spawned `sluice`: this process's, minus test-runner and node flags, plus `env`. */
export function sluiceEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(inheritedEnv())) {
    if (value === undefined || name === "NODE_TEST_CONTEXT" || name === "NODE_OPTIONS" || name.startsWith("SLUICE__")) continue;
    out[name] = value;
  }
  return { ...out, SLUICE_DEV: "1", ...env };
}

const live = new Set<ChildProcess>();

/** Starts `sluice <args>`; it is killed after `timeoutMs`. */
export function startSluice(args: readonly string[], env: Record<string, string>, timeoutMs = 120_000): SluiceProcess {
  const child = spawn(process.execPath, ["--conditions=sluice-source", BIN, ...args], { cwd: ROOT, env: sluiceEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise<SluiceResult>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const proc: SluiceProcess = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    waitFor: async (pattern, waitMs = 60_000, stream = "stdout") => {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const match = (stream === "stdout" ? stdout : stderr).match(pattern);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `sluice ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`,
          );
        if (Date.now() > deadline)
          throw new Error(
            `no ${stream} matching ${pattern} within ${waitMs} ms from sluice ${args.join(" ")}\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
        const result = await done;
        clearTimeout(force);
        return result;
      }
      return done;
    },
  };
  return proc;
}

/** Runs `sluice <args>` to its end. */
export function runSluice(args: readonly string[], env: Record<string, string>, timeoutMs = 60_000): Promise<SluiceResult> {
  return startSluice(args, env, timeoutMs).done;
}

/** Kills every process started here that is still running (an after() hook's safety net). */
export async function killAll(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once("close", () => resolve());
        child.kill("SIGKILL");
      }),
  );
  await Promise.all(waits);
}

/** Parses the JSON document a `--json` command printed. */
export function json<T = Record<string, unknown>>(result: SluiceResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${result.code}):\nstdout:\n${result.stdout}\nstderr:\n${result.stderr.slice(-3000)}`);
  }
}
