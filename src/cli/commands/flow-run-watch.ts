/**
 * `sluice flow-run watch <id> [--interval ms] [--json]`: a live view of a flow run on the server. It polls
 * the run, its task runs and its new log lines, turns what changed into the same RunEvents a local run
 * emits, and shows them with `sluice run`'s display (a live frame in a terminal, plain lines otherwise).
 * Stops when the run is finished. Exit codes: 0 the run succeeded, 1 it did not (or the server failed),
 * 2 bad input; 130 when Ctrl-C stops watching (the run goes on). The polling is in actions/flow-run-watch.ts.
 */
import type { Command } from "commander";
import { SluiceError, showValue } from "../../core/errors.js";

export { SnapshotEvents, logEvent, type WatchSnapshot } from "../display/snapshot-events.js";

function parseInterval(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 50 || ms > 60_000)
    throw new SluiceError("INVALID_INPUT", `--interval ${showValue(value)} must be a number of ms from 50 to 60000`, { field: "--interval", value });
  return ms;
}

export function registerWatch(flowRun: Command): void {
  flowRun
    .command("watch")
    .description("Follow a flow run's task states and logs live until it finishes")
    .argument("<id>", "the flow run's id")
    .option("--interval <ms>", "pause between polls", "1000")
    .option("--json", "print { flowRun, taskRuns } as JSON when the run finishes, nothing before")
    .action(async (id: string, options: { interval: string; json?: boolean }) => {
      const intervalMs = parseInterval(options.interval);
      const { watchRun } = await import("../actions/flow-run-watch.js");
      process.exitCode = await watchRun(id, intervalMs, options.json === true);
    });
}
