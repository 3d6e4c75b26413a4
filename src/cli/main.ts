/**
 * Entry of the `sluice` command: builds the commander program from one file per command.
 * Each command module exports `register(program)`; add a command by adding one line to COMMANDS.
 */
import { Command, CommanderError } from "commander";
import { SluiceError } from "../core/errors.js";
import { SLUICE_VERSION } from "../core/version.js";
import { EXIT } from "./output.js";
import { COMMANDS } from "./commands/index.js";

export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("Typed workflows for TypeScript: run flows locally, deploy them anywhere.")
    .version(SLUICE_VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0) return EXIT.ok;
      return EXIT.badInput;
    }
    if (error instanceof SluiceError) {
      process.stderr.write(`error: ${error.message}\n`);
      return ["INVALID_INPUT", "INVALID_OPTION", "INVALID_PARAMETER", "GRAPH_INVALID", "FLOW_LOAD_FAILED", "CONFIG_INVALID"].includes(error.code)
        ? EXIT.badInput
        : EXIT.failed;
    }
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failed;
  }
}

process.exitCode = await main();
