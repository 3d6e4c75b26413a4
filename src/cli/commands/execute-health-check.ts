/**
 * `sluice execute health-check --manifest <file>`: loads every flow a flow image holds; run as a step of
 * Docker storage builds, so a flow that cannot load fails the build with its error.
 */
import type { Command } from "commander";
import { runHealthCheck } from "../../storage/docker/healthcheck.js";
import { EXIT } from "../output.js";

export function registerHealthCheck(execute: Command): void {
  execute
    .command("health-check")
    .description("Load every flow listed in a flow image's manifest; exit 1 with the load error when one fails")
    .requiredOption("--manifest <file>", "the image's flow manifest (JSON)")
    .action(async (options: { manifest: string }) => {
      const ok = await runHealthCheck(options.manifest, (line) => process.stdout.write(`${line}\n`));
      process.exitCode = ok ? EXIT.ok : EXIT.failed;
    });
}
