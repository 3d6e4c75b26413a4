/**
 * What `sluice register <file>` does (options in commands/register.ts): builds the flows' storage, then
 * sends each flow's registration to the server and prints the versions.
 */
import type { RegisterFlowResult } from "../../client/index.js";
import { SluiceError } from "../../core/errors.js";
import type { AnyFlow } from "../../core/flow.js";
import type { Storage } from "../../core/storage.js";
import { storageImage } from "../../deployment/prepare.js";
import { createStorage } from "../../storage/registry.js";
import { connect } from "../api.js";
import { buildWithProgress, loadChosenFlows } from "../build-step.js";
import { EXIT, printJson, printLines, table } from "../output.js";
import { registrationOf } from "../registration.js";

/** The options of `sluice register`, as commander parses them. */
export interface RegisterOptions {
  flow: string[];
  label: string[];
  push: boolean;
  json?: boolean;
}

export async function registerCommand(file: string, options: RegisterOptions): Promise<number> {
  const { config, client } = connect();
  const { module, flows } = await loadChosenFlows(file, options.flow);
  const badLabel = options.label.find((l) => l.trim() === "");
  if (badLabel !== undefined) throw new SluiceError("INVALID_INPUT", "--label is empty; give a non-empty label", { field: "--label", value: badLabel });
  for (const flow of flows) flow.validate();
  await client.health(); // fail before a long build when the server is not there

  const storageOf = new Map<AnyFlow, Storage>();
  for (const group of await buildWithProgress(flows, { config, push: options.push })) for (const flow of group.flows) storageOf.set(flow, group.storage);
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
    printJson({
      module,
      flows: results.map((r) => ({ flowId: r.flowId, name: r.flow.name, version: r.version, created: r.created, image: r.image, labels: r.flow.labels })),
    });
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
