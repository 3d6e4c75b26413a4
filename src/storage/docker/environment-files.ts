/**
 * The files a flow image must hold because its flows' environments read them when they are constructed
 * (a KubernetesJobEnvironment's job spec, a cluster's scheduler and worker specs): each environment lists
 * them as `imageFiles`, and DockerStorage copies every one to the same absolute path in the image, beside
 * the user's own `files`. The image bundles whole modules, and importing a module constructs every flow in
 * it, so the files of the other flows of those modules go in too (`withModuleSiblings`).
 */
import { isAbsolute } from "node:path";
import { SluiceError, showValue } from "../../core/errors.js";
import { flowsConstructedIn } from "../../core/flow.js";
import type { StorableFlow } from "../../core/storage.js";

/** One copy into the image. */
export interface ImageCopy {
  /** Absolute path on this machine. */
  source: string;
  /** Absolute path in the image. */
  destination: string;
}

/** The files `flow`'s environment declares (absolute paths); an error naming the flow for anything else. */
export function declaredImageFiles(flow: StorableFlow): string[] {
  const environment = flow.environment;
  if (environment === undefined || environment === null) return [];
  const files: unknown = environment.imageFiles ?? [];
  const owner = `the environment of flow "${flow.name}"`;
  if (!Array.isArray(files)) {
    throw new SluiceError(
      "STORAGE_ERROR",
      `DockerStorage: imageFiles of ${owner} is ${showValue(files)}; an environment lists the files its image needs as absolute paths`,
      {
        field: "environment.imageFiles",
        value: files,
      },
    );
  }
  for (const file of files) {
    if (typeof file !== "string" || !isAbsolute(file)) {
      throw new SluiceError("STORAGE_ERROR", `DockerStorage: imageFiles of ${owner} holds ${showValue(file)}, which is not an absolute path`, {
        field: "environment.imageFiles",
        value: file,
      });
    }
  }
  return files as string[];
}

/**
 * Every copy the image gets: the user's `files`, then each declared environment file at its own path
 * (once, even when several flows declare it). A user's file that would land on a declared file's path
 * from another source is a CONFLICT: the environment would read the wrong file in the image.
 */
export function imageCopies(userFiles: Readonly<Record<string, string>>, flows: Iterable<StorableFlow>): ImageCopy[] {
  const copies: ImageCopy[] = Object.entries(userFiles).map(([source, destination]) => ({ source, destination }));
  const byDestination = new Map(copies.map((c) => [c.destination, c.source]));
  for (const flow of flows) {
    for (const file of declaredImageFiles(flow)) {
      const taken = byDestination.get(file);
      if (taken === file) continue;
      if (taken !== undefined) {
        throw new SluiceError(
          "CONFLICT",
          `DockerStorage: files copies ${taken} to ${file}, where the environment of flow "${flow.name}" needs its own file ${file}; copy yours elsewhere`,
          { field: `files.${taken}`, value: file },
        );
      }
      byDestination.set(file, file);
      copies.push({ source: file, destination: file });
    }
  }
  return copies;
}

/**
 * `flows` and every other flow constructed from the same modules: importing a module in the image constructs
 * all of them, so their environments read their files there too (e.g. `sluice register <module> --flow a`
 * builds an image for flow a alone, and importing the module there still constructs flow b and reads b's job spec).
 */
export function withModuleSiblings(flows: readonly StorableFlow[]): StorableFlow[] {
  const all = new Set<StorableFlow>(flows);
  for (const flow of flows) if (flow.module) for (const sibling of flowsConstructedIn(flow.module)) all.add(sibling);
  return [...all];
}
