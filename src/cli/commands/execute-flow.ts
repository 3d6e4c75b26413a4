/**
 * `sluice execute flow --module <path> [--flow <name>] [--parameters <json>] [--executor <kind>] [--events]`:
 * runs one flow in this process, without a server; the entry of DockerEnvironment's containers. With
 * --events, the run's events and result are printed as JSON lines on stdout for the launching host.
 * Exit code: 0 the run succeeded, 1 it failed, 2 bad input (module, flow, parameters).
 */
import type { Command } from "commander";
import type { FlowEntryOptions } from "../../deployment/flow-entry.js";

export function registerExecuteFlow(execute: Command): void {
  execute
    .command("flow")
    .description("Run one flow in this process (the entry of DockerEnvironment containers)")
    .requiredOption("--module <path>", "the flow's module (a path, or an installed package)")
    .option("--flow <name>", "the flow to run, when the module holds several")
    .option("--parameters <json>", "parameters as a JSON object", "{}")
    .option("--executor <kind>", "executor kind, when the flow's environment names none")
    .option("--events", "print run events and the result as JSON lines on stdout")
    .action(async (options: FlowEntryOptions) => {
      const { executeFlow } = await import("../actions/execute.js");
      process.exitCode = await executeFlow(options);
    });
}
