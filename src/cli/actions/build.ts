/**
 * What `sluice build <file>` does (options in commands/build.ts): loads the module, builds the storage of
 * its flows (a Docker image per DockerStorage, pushed when it names a registry), prints what was built.
 */
import { loadConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import { storageImage } from "../../deployment/prepare.js";
import { buildWithProgress, loadChosenFlows } from "../build-step.js";
import { EXIT, printJson } from "../output.js";

/** The options of `sluice build`, as commander parses them. */
export interface BuildCommandOptions {
  flow: string[];
  push: boolean;
  json?: boolean;
}

export async function buildCommand(file: string, options: BuildCommandOptions): Promise<number> {
  const config = loadConfig();
  const { module, flows } = await loadChosenFlows(file, options.flow);
  if (!flows.some((f) => f.storage !== undefined)) {
    throw new SluiceError(
      "INVALID_INPUT",
      `no flow in ${module} has storage, so there is nothing to build; give one, e.g. flow("etl", { storage: new DockerStorage({ registryUrl: "127.0.0.1:5000" }) }, ...)`,
      { field: "storage" },
    );
  }
  const groups = await buildWithProgress(flows, { config, push: options.push });
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
