/**
 * `sluice build <file> [--flow name ...] [--no-push] [--json]`: builds the storage of every flow in a
 * module (a Docker image per DockerStorage, pushed when it names a registry) and prints what was built.
 * Output of the engine goes to stderr (a progress line in a terminal); the summary to stdout.
 * Exit codes: 0 built, 1 a build or push failed, 2 bad input (module, flow names, options).
 */
import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import { loadFlows, resolveModule } from "../../core/load.js";
import { buildFlows, storageImage } from "../../environments/deployment.js";
import { createBuildOutput } from "../../storage/build-output.js";
import { EXIT, isInteractive, printJson } from "../output.js";

interface BuildCommandOptions {
  flow: string[];
  push: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command("build")
    .description("Build the storage of every flow in a module (Docker images are built and pushed)")
    .argument("<file>", "module that exports the flows (.ts or .js)")
    .option("--flow <name>", "build only this flow's storage (repeatable)", collect, [])
    .option("--no-push", "build images but do not push them")
    .option("--json", "print the result as one JSON document")
    .action(async (file: string, options: BuildCommandOptions) => {
      process.exitCode = await buildCommand(file, options);
    });
}

export async function buildCommand(file: string, options: BuildCommandOptions): Promise<number> {
  const config = loadConfig();
  const resolved = resolveModule(file);
  const module = resolved.kind === "file" ? resolved.path : resolved.specifier;
  let flows = await loadFlows(file);
  if (options.flow.length > 0) {
    const unknown = options.flow.filter((name) => !flows.some((f) => f.name === name));
    if (unknown.length > 0) {
      throw new SluiceError("INVALID_INPUT", `--flow ${unknown.join(", ")}: no such flow in ${module} (its flows: ${flows.map((f) => f.name).join(", ")})`, {
        field: "--flow",
        value: unknown,
      });
    }
    flows = flows.filter((f) => options.flow.includes(f.name));
  }
  if (!flows.some((f) => f.storage !== undefined)) {
    throw new SluiceError(
      "INVALID_INPUT",
      `no flow in ${module} has storage, so there is nothing to build; give one, e.g. flow("etl", { storage: new DockerStorage({ registryUrl: "127.0.0.1:5000" }) }, ...)`,
      { field: "storage" },
    );
  }
  const output = createBuildOutput({ stream: process.stderr, interactive: isInteractive(process.stderr) });
  let groups;
  try {
    groups = await buildFlows(flows, { config, push: options.push, output });
  } finally {
    output.done();
  }
  const built = groups.map(({ storage, flows: members }) => ({
    type: storage.type,
    image: storageImage(storage) ?? null,
    flows: members.map((f) => f.name),
    storage: storage.serialize(),
  }));
  if (options.json) {
    printJson({ module, built, skipped: flows.filter((f) => f.storage === undefined).map((f) => f.name) });
  } else {
    for (const b of built) process.stdout.write(`${b.type}${b.image ? ` ${b.image}` : ""}: ${b.flows.join(", ")}\n`);
    for (const f of flows.filter((f) => f.storage === undefined)) process.stdout.write(`skipped ${f.name}: no storage\n`);
  }
  return EXIT.ok;
}
