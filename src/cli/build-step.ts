/**
 * The steps `sluice build` and `sluice register` share: load a module's flows (only those named by
 * `--flow`, when given), then build their storage with the progress on stderr.
 */
import type { SluiceConfig } from "../config/index.js";
import { SluiceError } from "../core/errors.js";
import { loadFlows, resolveModule, type AnyFlow } from "../core/load.js";
import type { Storage } from "../core/storage.js";
import { buildFlows } from "../deployment/prepare.js";
import { createBuildOutput } from "../storage/build-output.js";
import { isInteractive } from "./output.js";

/** The module as the user named it (its path, or the package specifier) and its flows, narrowed to `names` when any are given. */
export async function loadChosenFlows(file: string, names: readonly string[]): Promise<{ module: string; flows: AnyFlow[] }> {
  const resolved = resolveModule(file);
  const module = resolved.kind === "file" ? resolved.path : resolved.specifier;
  const flows = await loadFlows(file);
  if (names.length === 0) return { module, flows };
  const unknown = names.filter((name) => !flows.some((f) => f.name === name));
  if (unknown.length > 0) {
    throw new SluiceError("INVALID_INPUT", `--flow ${unknown.join(", ")}: no such flow in ${module} (its flows: ${flows.map((f) => f.name).join(", ")})`, {
      field: "--flow",
      value: unknown,
    });
  }
  return { module, flows: flows.filter((f) => names.includes(f.name)) };
}

/** Builds the storage of `flows` (one build per storage), showing the progress on stderr. */
export async function buildWithProgress(
  flows: readonly AnyFlow[],
  options: { config: SluiceConfig; push: boolean },
): Promise<{ storage: Storage; flows: AnyFlow[] }[]> {
  const output = createBuildOutput({ stream: process.stderr, interactive: isInteractive(process.stderr) });
  try {
    return await buildFlows(flows, { ...options, output });
  } finally {
    output.done();
  }
}
