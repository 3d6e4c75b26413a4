/**
 * `sluice execute health-check --manifest <file>`: loads every flow a flow image holds; run as a step of
 * Docker storage builds, so a flow that cannot load fails the build with its error.
 */
import type { Command } from "commander";

export function registerHealthCheck(execute: Command): void {
  execute
    .command("health-check")
    .description("Load every flow listed in a flow image's manifest; exit 1 with the load error when one fails")
    .requiredOption("--manifest <file>", "the image's flow manifest (JSON)")
    .action(async (options: { manifest: string }) => {
      const { executeHealthCheck } = await import("../actions/execute.js");
      process.exitCode = await executeHealthCheck(options.manifest);
    });
}
