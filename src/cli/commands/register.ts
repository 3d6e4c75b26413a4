/**
 * `sluice register <file> [--flow name ...] [--label l ...] [--no-push] [--json]`: registers the flows of
 * a module with the server. Storage is built first (a Docker image is built and pushed, with progress on
 * stderr); a flow without storage gets LocalStorage (its module on this machine, for a local agent here).
 * Then each flow's serialized form is sent: environment.serialize() (metadata.image set from Docker
 * storage unless the user set it, spec §2), storage.serialize(), the parameters' JSON schema and
 * defaults, and the task graph. The server makes a new version only when that content changed.
 * Exit codes: 0 registered, 1 a build or the server failed, 2 bad input (module, flow names, labels).
 */
import type { Command } from "commander";
import type { RegisterFlowInput, RegisterFlowResult } from "../../client/index.js";
import type { Environment } from "../../core/environment.js";
import { SluiceError } from "../../core/errors.js";
import type { JsonObject } from "../../core/executor.js";
import type { AnyFlow } from "../../core/flow.js";
import { loadFlows, resolveModule } from "../../core/load.js";
import type { Storage } from "../../core/storage.js";
import { buildFlows, storageImage } from "../../environments/deployment.js";
import { LocalEnvironment } from "../../environments/local/local-environment.js";
import { createBuildOutput } from "../../storage/build-output.js";
import { createStorage } from "../../storage/registry.js";
import { collect, connect, printLines, table } from "../api.js";
import { EXIT, isInteractive, printJson } from "../output.js";

interface RegisterOptions {
  flow: string[];
  label: string[];
  push: boolean;
  json?: boolean;
}

/** The defaults a parameters JSON schema declares (top-level properties only). */
export function parameterDefaults(schema: JsonObject): JsonObject {
  const properties = schema.properties;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return {};
  const out: JsonObject = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property && typeof property === "object" && !Array.isArray(property) && "default" in property && property.default !== undefined) out[name] = property.default;
  }
  return out;
}

/** What the server is told about a flow: its serialized environment and storage, parameters and task graph. */
export function registrationOf(flow: AnyFlow, storage: Storage, labels: readonly string[] = []): RegisterFlowInput {
  const environment: Environment = (flow.environment as Environment | undefined) ?? new LocalEnvironment();
  for (const label of labels) environment.labels.add(label);
  const image = storageImage(storage);
  if (image !== undefined && environment.metadata.image === undefined) environment.metadata.image = image;
  const description = flow.describe();
  const parameterSchema = flow.parametersJsonSchema();
  const input: RegisterFlowInput = {
    name: flow.name,
    environment: environment.serialize(),
    storage: storage.serialize(),
    parameterSchema,
    parameterDefaults: parameterDefaults(parameterSchema),
    taskGraph: { tasks: description.tasks.map((t) => ({ key: t.key, name: t.name, upstream: t.upstream, mapped: t.mapped })) },
  };
  if (flow.description !== undefined) input.description = flow.description;
  return input;
}

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
      process.exitCode = await registerCommand(file, options);
    });
}

export async function registerCommand(file: string, options: RegisterOptions): Promise<number> {
  const { config, client } = connect();
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
  const badLabel = options.label.find((l) => l.trim() === "");
  if (badLabel !== undefined) throw new SluiceError("INVALID_INPUT", "--label is empty; give a non-empty label", { field: "--label", value: badLabel });
  for (const flow of flows) flow.validate();
  await client.health(); // fail before a long build when the server is not there

  const storageOf = new Map<AnyFlow, Storage>();
  const output = createBuildOutput({ stream: process.stderr, interactive: isInteractive(process.stderr) });
  try {
    for (const group of await buildFlows(flows, { config, push: options.push, output })) for (const flow of group.flows) storageOf.set(flow, group.storage);
  } finally {
    output.done();
  }
  // One LocalStorage per flow, so a flow's registered content (and its version) depends on that flow only.
  for (const flow of flows.filter((f) => !storageOf.has(f))) {
    const storage = await createStorage("local");
    storage.addFlow(flow);
    await storage.build({ config });
    storageOf.set(flow, storage);
  }

  const results: (RegisterFlowResult & { image: string | null })[] = [];
  for (const flow of flows) {
    const storage = storageOf.get(flow)!;
    results.push({ ...(await client.registerFlow(registrationOf(flow, storage, options.label))), image: storageImage(storage) ?? null });
  }
  if (options.json) {
    printJson({ module, flows: results.map((r) => ({ flowId: r.flowId, name: r.flow.name, version: r.version, created: r.created, image: r.image, labels: r.flow.labels })) });
  } else {
    printLines(
      table(
        ["FLOW", "VERSION", "ID", "STATUS", "LABELS", "IMAGE"],
        results.map((r) => [r.flow.name, String(r.version), r.flowId, r.created ? "registered" : "unchanged", r.flow.labels.join(",") || "-", r.image ?? "-"]),
      ),
    );
  }
  return EXIT.ok;
}
