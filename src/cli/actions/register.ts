/**
 * What `sluice register <file>` does (options in commands/register.ts): builds the flows' storage, then
 * sends each flow's registration to the server and prints the versions.
 */
import type { RegisterFlowResult } from "../../client/index.js";
import { SluiceError } from "../../core/errors.js";
import type { AnyFlow } from "../../core/flow.js";
import { loadFlows, resolveModule } from "../../core/load.js";
import type { Storage } from "../../core/storage.js";
import { buildFlows, storageImage } from "../../environments/deployment.js";
import { createBuildOutput } from "../../storage/build-output.js";
import { createStorage } from "../../storage/registry.js";
import { connect } from "../api.js";
import type { RegisterOptions } from "../commands/register.js";
import { EXIT, isInteractive, printJson, printLines, table } from "../output.js";
import { registrationOf } from "../registration.js";

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
