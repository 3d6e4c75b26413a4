/**
 * What `sluice build <file>` does (options in commands/build.ts): loads the module, builds the storage of
 * its flows (a Docker image per DockerStorage, pushed when it names a registry), prints what was built.
 */
import { loadConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import { loadFlows, resolveModule } from "../../core/load.js";
import { buildFlows, storageImage } from "../../environments/deployment.js";
import { createBuildOutput } from "../../storage/build-output.js";
import type { BuildCommandOptions } from "../commands/build.js";
import { EXIT, isInteractive, printJson } from "../output.js";

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
