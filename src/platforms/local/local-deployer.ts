/**
 * The local agent's deployer: each claimed run becomes a child process running
 * `sluice execute flow-run --stage deploy` with the run contract's variables over this
 * process's environment. The agent tracks its children: one that exits non-zero (or is killed) before
 * its run finished fails the run with the exit code or signal and the last lines it printed — beyond the
 * original, which left such runs to the zombie killer.
 *
 * Children run in their own process group, so stopping the agent (Ctrl-C) does not kill the runs: they
 * report to the server by themselves. `close({ stopRuns: true })` stops them (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ClaimedFlowRun } from "../../client/index.js";
import { defaultHome, inheritedEnv } from "../../config/home.js";
import { SluiceError } from "../../core/errors.js";
import { sluicePath } from "../../core/package-root.js";
import { isFinished } from "../../core/states.js";
import { RUN_CONTRACT_VARIABLES } from "../../deployment/contract.js";
import type { DeployContext, Deployer, Deployment } from "../../agents/deployer.js";
import { refuseUnlessRuns, type RunRouting } from "../run-refusal.js";

export interface LocalDeployerOptions extends RunRouting {
  /**
   * The command that starts Sluice's CLI; `execute flow-run --stage deploy` is appended.
   * @default [node, ...this process's --conditions flags, <this package>/bin/sluice.js]
   */
  command?: readonly string[];
  /** Environment of the children, under the run contract's variables. @default this process's environment */
  env?: Readonly<Record<string, string | undefined>>;
  /** Working directory of the children. @default this process's */
  cwd?: string;
  /** Where each child's output goes (`<flow run id>.log`, removed when the child exits 0). @default "<SLUICE__HOME or ~/.sluice>/agent-runs" */
  logDir?: string;
  /** After SIGTERM, how long `close({ stopRuns: true })` waits before SIGKILL. @default 10000 */
  stopGraceMs?: number;
}

/** bin/sluice.js of this package. */
export const SLUICE_BIN = sluicePath("bin", "sluice.js");

/** The node flags a child must share with this process to resolve "sluice" the same way (export conditions). */
export function conditionFlags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg.startsWith("--conditions=") || (arg.startsWith("-C") && arg.length > 2)) out.push(arg);
    else if ((arg === "--conditions" || arg === "-C") && execArgv[i + 1] !== undefined) out.push(arg, execArgv[++i]!);
  }
  return out;
}

const TAIL_LINES = 15;

/** The last `count` non-empty lines of a file (at most its last 16 KiB), cut to 1,000 characters each. */
async function tailOf(file: string, count: number): Promise<string[]> {
  try {
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const lines = buffer
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim() !== "");
      return lines.slice(-count).map((l) => (l.length > 1000 ? `${l.slice(0, 1000)}…` : l));
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}

interface Child {
  process: ChildProcess;
  exited: Promise<void>;
}

export class LocalDeployer implements Deployer {
  readonly kind = "local";
  readonly #command: readonly string[];
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #options: LocalDeployerOptions;
  readonly #logDir: string;
  readonly #children = new Map<string, Child>();

  constructor(options: LocalDeployerOptions = {}) {
    if (options.command !== undefined && (options.command.length === 0 || options.command.some((p) => typeof p !== "string" || p === ""))) {
      throw new SluiceError("INVALID_OPTION", 'LocalDeployer: command must be a non-empty list of non-empty strings, e.g. ["sluice"]', { field: "command" });
    }
    this.#options = options;
    this.#command = options.command ?? [process.execPath, ...conditionFlags(process.execArgv), SLUICE_BIN];
    this.#env = options.env ?? inheritedEnv();
    this.#logDir = options.logDir ?? join(defaultHome(), "agent-runs");
  }

  /** Process ids of the children still running, by flow run id. */
  get children(): Map<string, number | undefined> {
    return new Map([...this.#children].map(([id, child]) => [id, child.process.pid]));
  }

  async deploy(run: ClaimedFlowRun, ctx: DeployContext): Promise<Deployment> {
    const flowRunId = run.flowRun.id;
    refuseUnlessRuns(this.kind, this.#options, { flowRunId, flowName: run.flow.name, environmentType: run.flow.environment.type });
    const location = (run.flow.storage as { flows?: Record<string, unknown> }).flows?.[run.flow.name];
    const base: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.#env)) {
      if (value !== undefined && !(RUN_CONTRACT_VARIABLES as readonly string[]).includes(name) && name !== "NODE_TEST_CONTEXT") base[name] = value;
    }
    const env = { ...base, ...ctx.runEnv(run, typeof location === "string" ? { flowFilePath: location } : {}) };
    const [program, ...args] = this.#command;
    await mkdir(this.#logDir, { recursive: true });
    const logFile = join(this.#logDir, `${flowRunId.replace(/[^\w.-]/g, "_")}.log`);
    const output = await open(logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(program!, [...args, "execute", "flow-run", "--stage", "deploy"], {
        env,
        cwd: this.#options.cwd,
        detached: true,
        stdio: ["ignore", output.fd, output.fd],
      });
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", (error) =>
          reject(
            new SluiceError("DEPLOY_FAILED", `cannot start ${program} for flow run ${flowRunId}: ${error.message}`, { flowRunId, kind: "local", cause: error }),
          ),
        );
      });
    } finally {
      await output.close(); // the child has its own copy of the descriptor
    }
    const exited = new Promise<void>((resolve) => {
      child.once("close", (code, signal) => {
        this.#children.delete(flowRunId);
        const settle = code === 0 ? rm(logFile, { force: true }) : this.#failedExit(ctx, flowRunId, child.pid, code, signal, logFile);
        void settle.catch(() => undefined).finally(resolve);
      });
    });
    this.#children.set(flowRunId, { process: child, exited });
    return { description: `started process ${child.pid} (sluice execute flow-run)`, done: exited };
  }

  /** A child ended badly: fail its run unless the run finished (its own report wins). */
  async #failedExit(
    ctx: DeployContext,
    flowRunId: string,
    pid: number | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
    logFile: string,
  ): Promise<void> {
    try {
      if (isFinished((await ctx.client.getFlowRun(flowRunId)).state.name)) return;
    } catch {
      // The server is unreachable: failRun tries again.
    }
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const tail = await tailOf(logFile, TAIL_LINES);
    const last = tail.length > 0 ? `; its last output (all of it in ${logFile}):\n${tail.join("\n")}` : "";
    await ctx.failRun(flowRunId, `The flow-run process (pid ${pid}) ${how} before the run finished${last}`);
  }

  async close(options: { stopRuns: boolean }): Promise<void> {
    const children = [...this.#children.values()];
    if (!options.stopRuns) {
      for (const child of children) child.process.unref();
      return;
    }
    for (const child of children) signalGroup(child.process, "SIGTERM");
    const grace = this.#options.stopGraceMs ?? 10_000;
    const timer = setTimeout(() => children.forEach((child) => signalGroup(child.process, "SIGKILL")), grace);
    await Promise.all(children.map((child) => child.exited));
    clearTimeout(timer);
  }
}

/** Signals a child's process group (it runs detached), falling back to the child alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
