/**
 * What the `sluice execute` entries do (options in commands/execute-*.ts): each imports only the module
 * that runs its entry, when it runs.
 */
import { constants } from "node:os";
import { loadConfig } from "../../config/index.js";
import type { FlowEntryOptions } from "../../deployment/flow-entry.js";
import { trapRunSignals } from "../../deployment/termination.js";
import type { FlowRunStage } from "../../deployment/flow-run-entry.js";
import { EXIT, printJson } from "../output.js";

/** `execute flow`: one flow in this process, without a server (DockerEnvironment's containers). */
export async function executeFlow(options: FlowEntryOptions): Promise<number> {
  const { runFlowEntry } = await import("../../deployment/flow-entry.js");
  return runFlowEntry(options, loadConfig());
}

/**
 * `execute flow-run`: the flow run named by the run contract, reporting to the server. SIGINT cancels it
 * (Cancelled); SIGTERM and SIGHUP stop it from outside (Failed, naming the signal); a second signal exits
 * at once with 128 + its number.
 */
export async function executeFlowRunEntry(options: { stage: FlowRunStage; json?: boolean }): Promise<number> {
  const { executeFlowRun } = await import("../../deployment/flow-run-entry.js");
  const signals = trapRunSignals({ onSecond: (signal) => process.exit(128 + (constants.signals[signal] ?? 15)) });
  try {
    const result = await executeFlowRun({ config: loadConfig(), stage: options.stage, signal: signals.cancel, termination: signals.termination });
    if (options.json) printJson(result);
    else process.stderr.write(`${result.message}\n`);
    return result.exitCode === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    signals.release();
  }
}

/** `execute health-check`: loads every flow a flow image's manifest lists. */
export async function executeHealthCheck(manifest: string): Promise<number> {
  const { runHealthCheck } = await import("../../storage/docker/healthcheck.js");
  const ok = await runHealthCheck(manifest, (line) => process.stdout.write(`${line}\n`));
  return ok ? EXIT.ok : EXIT.failed;
}
