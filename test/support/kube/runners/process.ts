/**
 * Runs a container's command as a local process (no image): `command` + `args` with the container's
 * env, in its `workingDir` when that exists on this machine, else in a scratch directory. Each process
 * leads its own process group, so a stop signal reaches its children too.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { constants } from "node:os";
import type { ContainerExit, ContainerRunner, ImageCheck, RunSpec, StartedContainer } from "./types.js";
import { pullNotFoundMessage } from "./types.js";

export interface ProcessRunnerOptions {
  /** Images that "exist"; every image exists when undefined. */
  knownImages?: readonly string[];
  /** Where scratch working directories are made. */
  scratchDir: string;
  /** Variables every process gets before the container's own (PATH, HOME...). */
  baseEnv: Record<string, string>;
}

export class ProcessRunner implements ContainerRunner {
  readonly kind = "process" as const;
  private readonly running = new Map<number, Promise<ContainerExit>>();

  constructor(private readonly options: ProcessRunnerOptions) {}

  async checkImage(image: string): Promise<ImageCheck> {
    const known = this.options.knownImages;
    return !known || known.includes(image) ? { ok: true, pulled: false } : { ok: false, message: pullNotFoundMessage(image) };
  }

  async start(spec: RunSpec, onOutput: (chunk: Buffer) => void): Promise<StartedContainer> {
    const argv = [...(spec.command ?? []), ...(spec.args ?? [])];
    const id = `${spec.podName}-${spec.containerName}-${spec.restartCount}`;
    if (argv.length === 0) {
      return startError(id, "process runner: the container has no command or args, and process mode has no image entrypoint to fall back on");
    }
    let cwd = spec.workingDir;
    if (!cwd || !existsSync(cwd)) {
      cwd = join(this.options.scratchDir, spec.namespace, spec.podName, spec.containerName);
      await mkdir(cwd, { recursive: true });
    }
    const env: Record<string, string> = {
      ...this.options.baseEnv,
      HOSTNAME: spec.podName,
      KUBECONFIG: spec.kubeconfigPath,
    };
    for (const [k, v] of spec.env) env[k] = v;
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    const exited = new Promise<ContainerExit>((resolve) => {
      child.once("error", (e: NodeJS.ErrnoException) => {
        resolve({
          exitCode: 128,
          reason: "StartError",
          message:
            e.code === "ENOENT"
              ? `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown`
              : e.message,
        });
      });
      child.once("exit", (code, signal) => {
        const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9);
        // Give the pipes a moment to drain, without waiting on grandchildren that keep them open.
        const done = () => resolve({ exitCode });
        if (child.stdout.readableEnded && child.stderr.readableEnded) return done();
        const timer = setTimeout(done, 300);
        child.once("close", () => {
          clearTimeout(timer);
          done();
        });
      });
    });
    if (child.pid !== undefined) {
      const pid = child.pid;
      this.running.set(pid, exited);
      void exited.then(() => this.running.delete(pid));
    }
    return {
      containerId: `process://${child.pid ?? 0}`,
      imageId: `process://${spec.image}`,
      exited,
      signal: async (signal) => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          try {
            child.kill(signal);
          } catch {
            /* already gone */
          }
        }
      },
    };
  }

  async close(): Promise<void> {
    for (const pid of this.running.keys()) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    await Promise.all([...this.running.values()]);
  }
}

function startError(id: string, message: string): StartedContainer {
  return {
    containerId: `process://${id}`,
    imageId: "",
    exited: Promise.resolve({ exitCode: 128, reason: "StartError", message }),
    signal: async () => {},
  };
}
