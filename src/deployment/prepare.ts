/**
 * Preparing flows for deployment: put each flow into its storage, build every storage once, and give
 * each environment the image it runs (the rule: `metadata.image` is set from Docker storage's image name
 * unless the user set it). Used by `sluice build`, `sluice run --environment` and registration.
 */
import { SluiceError } from "../core/errors.js";
import type { AnyFlow } from "../core/flow.js";
import { isStorage, type Storage, type StorageBuildOptions } from "../core/storage.js";

/** The image a storage's flows run from (Docker storage after build, or with a user-given name and tag). */
export function storageImage(storage: unknown): string | undefined {
  const image = (storage as { image?: unknown } | undefined)?.image;
  return typeof image === "string" && image !== "" ? image : undefined;
}

/** Sets `metadata.image` of the flow's environment from its storage's image, unless the user set it. */
export function applyImageMetadata(flow: AnyFlow): void {
  const environment = flow.environment as { metadata?: Record<string, unknown> } | undefined;
  const image = storageImage(flow.storage);
  if (!environment?.metadata || image === undefined) return;
  if (environment.metadata.image === undefined) environment.metadata.image = image;
}

/** Adds each flow to its storage (once) and returns the distinct storages, in the flows' order. Flows without storage are left out. */
export function storagesOf(flows: readonly AnyFlow[]): { storage: Storage; flows: AnyFlow[] }[] {
  const groups = new Map<Storage, AnyFlow[]>();
  for (const flow of flows) {
    if (flow.storage === undefined) continue;
    if (!isStorage(flow.storage)) {
      throw new SluiceError("INVALID_OPTION", `flow "${flow.name}": storage is not a Storage (LocalStorage, ModuleStorage, DockerStorage)`, {
        field: "storage",
      });
    }
    const storage = flow.storage;
    storage.addFlow(flow); // the same flow again is a no-op; a different flow of that name is a CONFLICT
    groups.set(storage, [...(groups.get(storage) ?? []), flow]);
  }
  return [...groups].map(([storage, grouped]) => ({ storage, flows: grouped }));
}

/** Builds every storage of `flows` and sets the environments' image metadata. Resolves to the storages built. */
export async function buildFlows(flows: readonly AnyFlow[], options: StorageBuildOptions = {}): Promise<{ storage: Storage; flows: AnyFlow[] }[]> {
  const groups = storagesOf(flows);
  for (const group of groups) {
    await group.storage.build(options);
    for (const flow of group.flows) applyImageMetadata(flow);
  }
  return groups;
}
