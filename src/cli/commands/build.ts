/**
 * `sluice build <file> [--flow name ...] [--no-push] [--json]`: builds the storage of every flow in a
 * module (a Docker image per DockerStorage, pushed when it names a registry) and prints what was built.
 * Output of the engine goes to stderr (a progress line in a terminal); the summary to stdout.
 * Exit codes: 0 built, 1 a build or push failed, 2 bad input (module, flow names, options).
 */
import type { Command } from "commander";
import type { BuildCommandOptions } from "../actions/build.js";
import { collect } from "../options.js";

export function register(program: Command): void {
  program
    .command("build")
    .description("Build the storage of every flow in a module (Docker images are built and pushed)")
    .argument("<file>", "module that exports the flows (.ts or .js)")
    .option("--flow <name>", "build only this flow's storage (repeatable)", collect, [])
    .option("--no-push", "build images but do not push them")
    .option("--json", "print the result as one JSON document")
    .action(async (file: string, options: BuildCommandOptions) => {
      const { buildCommand } = await import("../actions/build.js");
      process.exitCode = await buildCommand(file, options);
    });
}
