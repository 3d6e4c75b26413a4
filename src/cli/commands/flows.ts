/**
 * `sluice flows <file> [--json]`: the flows a module exports, each with its parameters (from the zod
 * schema, as JSON schema) and its tasks as a tree of the DAG (a task with several upstream tasks is
 * drawn under the first and names the others).
 */
import type { Command } from "commander";
import { formatFlow } from "../display/flow-description.js";
import { EXIT, printJson } from "../output.js";

export { formatFlow, formatParameters, formatTaskTree, typeLabel } from "../display/flow-description.js";

export function register(program: Command): void {
  program
    .command("flows")
    .description("List the flows a module exports, their tasks and parameters")
    .argument("<file>", "module that exports flows (.ts or .js), or an installed package")
    .option("--json", "print the descriptions as JSON")
    .action(async (file: string, options: { json?: boolean }) => {
      const { loadFlows, resolveModule } = await import("../../core/load.js");
      const resolved = resolveModule(file);
      const module = resolved.kind === "file" ? resolved.path : resolved.specifier;
      const descriptions = (await loadFlows(file)).map((f) => f.describe());
      if (options.json) printJson({ module, flows: descriptions });
      else process.stdout.write(`${descriptions.map((d) => formatFlow(d).join("\n")).join("\n\n")}\n`);
      process.exitCode = EXIT.ok;
    });
}
