/**
 * Paths of the building machine inside a flow image. A flow's module is imported again in its image, so
 * whatever it computes a path from must lead to the same file there:
 *
 * - files an environment reads at construction (a job spec) are copied to the image at the **same absolute
 *   path** they were read from (DockerStorage does it for every flow's `environment.imageFiles`);
 * - a path the module computes relative to itself (`new URL("./job_spec.yaml", import.meta.url)`) points
 *   into the bundle's directory in the image, and a relative path (`"job_spec.yaml"`) into the image's
 *   working directory: the image records where each bundle's module and the build's working directory
 *   were on the building machine (`origins.json` beside the manifest), so such a path is mapped back to
 *   the path it had there.
 *
 * `pathInImage(path)` does that mapping; outside a flow image it returns the path unchanged.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { SluiceError } from "../../core/errors.js";
import { IMAGE_FLOWS_DIR } from "./dockerfile.js";

/** Where a flow image records the origins of its modules (written by DockerStorage.build). */
export const IMAGE_ORIGINS = `${IMAGE_FLOWS_DIR}/origins.json`;

/** What a flow image knows of the machine that built it. */
export interface ImageOrigins {
  /** The working directory of the build (relative paths were resolved against it there). */
  workingDirectory: string;
  /** Path of each bundle in the image → the source modules bundled into it (the flow's module first), on the building machine. */
  modules: Record<string, string[]>;
}

/** The part of `path` under `dir`, or undefined when it is not under it. */
function under(dir: string, path: string): string | undefined {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : undefined;
}

/**
 * The paths of the building machine that `path` may stand for: relative to a bundle's directory → the
 * same relative path beside each module bundled there (a bundle's `import.meta.url` is the bundle's, for
 * every module in it); relative to `cwd` → the same under the build's working directory. Pure;
 * `pathInImage` keeps those the image holds.
 */
export function buildMachineCandidates(path: string, origins: ImageOrigins, cwd: string): string[] {
  const out = new Set<string>();
  for (const [bundle, modules] of Object.entries(origins.modules)) {
    const rel = under(dirname(bundle), path);
    if (rel !== undefined) for (const module of modules) out.add(join(dirname(module), rel));
  }
  const rel = under(cwd, path);
  if (rel !== undefined) out.add(join(origins.workingDirectory, rel));
  out.delete(path);
  return [...out];
}

let cached: { origins: ImageOrigins | undefined } | undefined;

/** The origins of the image this process runs in; undefined outside a flow image. Read once. */
export function imageOrigins(): ImageOrigins | undefined {
  if (!cached) {
    let origins: ImageOrigins | undefined;
    if (existsSync(IMAGE_ORIGINS)) {
      try {
        origins = JSON.parse(readFileSync(IMAGE_ORIGINS, "utf8")) as ImageOrigins;
      } catch {
        origins = undefined;
      }
    }
    cached = { origins };
  }
  return cached.origins;
}

/**
 * Where the file a flow module means by `path` is, in the process's file system: `path` itself when it
 * exists (or outside a flow image); else, inside a flow image, the building machine's path it stands for
 * when the image holds exactly that one. Two such files are an error naming both.
 */
export function pathInImage(path: string, options: { origins?: ImageOrigins; cwd?: string; exists?: (path: string) => boolean } = {}): string {
  const exists = options.exists ?? existsSync;
  if (exists(path)) return path;
  const origins = options.origins ?? imageOrigins();
  if (!origins) return path;
  const found = buildMachineCandidates(path, origins, options.cwd ?? process.cwd()).filter((candidate) => exists(candidate));
  if (found.length > 1) {
    throw new SluiceError(
      "STORAGE_ERROR",
      `${path} could stand for ${found.join(" or ")}, which this image both holds; give the file a name no other flow module in the image uses, or give its absolute path`,
      { field: "path", value: path },
    );
  }
  return found[0] ?? path;
}
