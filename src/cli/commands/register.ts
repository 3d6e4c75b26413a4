/**
 * `sluice register <file> [--flow name ...] [--label l ...] [--no-push] [--json]`: registers the flows of
 * a module with the server. Storage is built first (a Docker image is built and pushed, with progress on
 * stderr); a flow without storage gets LocalStorage (its module on this machine, for a local agent here).
 * Then each flow's serialized form is sent: environment.serialize() (metadata.image set from Docker
 * storage unless the user set it), storage.serialize(), the parameters' JSON schema and
 * defaults, and the task graph. The server makes a new version only when that content changed.
 * Exit codes: 0 registered, 1 a build or the server failed, 2 bad input (module, flow names, labels).
 */
import type { Command } from "commander";
import type { RegisterOptions } from "../actions/register.js";
import { collect } from "../options.js";

export { parameterDefaults, registrationOf } from "../registration.js";

export function register(program: Command): void {
  program
    .command("register")
    .description("Register the flows of a module with the server (building their storage first)")
    .argument("<file>", "module that exports the flows (.ts or .js)")
    .option("--flow <name>", "register only this flow (repeatable)", collect, [])
    .option("--label <label>", "add a label to the flows' environments (repeatable)", collect, [])
    .option("--no-push", "build Docker images but do not push them")
    .option("--json", "print the registrations as one JSON document")
    .action(async (file: string, options: RegisterOptions) => {
      const { registerCommand } = await import("../actions/register.js");
      process.exitCode = await registerCommand(file, options);
    });
}
