/**
 * `sluice run <file> [--flow name] [--param k=v ...] [--params-file f.json] [--executor kind] [--json]`
 *
 * Runs a flow in this process and shows its progress (see actions/run.ts, imported when the command runs,
 * so other commands never load it). Exit codes: 0 the run succeeded, 1 it failed, 2 bad input, 130/143
 * cancelled by Ctrl-C/SIGTERM.
 */
import type { Command } from "commander";
import type { RunCommandOptions } from "../actions/run.js";
import { collect } from "../options.js";
import { RUN_EXTENSIONS } from "./run-extension-list.js";

export function register(program: Command): void {
  const command = program
    .command("run")
    .description("Run a flow in this process and show its progress")
    .argument("<file>", "module that exports the flow (.ts or .js), or an installed package")
    .option("--flow <name>", "the flow to run, when the module exports several")
    .option("--param <name=value>", "a parameter; the value is parsed as JSON when it parses, else taken as a string (repeatable)", collect, [])
    .option("--params-file <file>", "a JSON file holding an object of parameters (--param values win)")
    .option("--executor <kind>", 'how tasks run: "local", "concurrent", "workers", ... (default: the flow\'s, else the configured one)')
    .option("--json", "print one JSON document at the end (final states, durations) instead of the live display")
    .action(async (file: string, options: RunCommandOptions) => {
      const { runCommand } = await import("../actions/run.js");
      process.exitCode = await runCommand(file, options);
    });
  for (const extension of RUN_EXTENSIONS) extension.addOptions(command);
}
