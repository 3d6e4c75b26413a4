/**
 * The base of a flow image: the user's `baseImage` (pulled when missing, unless `localImage`), or an
 * image built from the user's `dockerfile` with its directory as the build context.
 */
import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import type { Readable } from "node:stream";
import { SluiceError } from "../../core/errors.js";
import type { BuildOutput } from "../../core/storage.js";
import { BuildError, type DockerEngine } from "./engine.js";
import { LABEL_KIND } from "./runtime-image.js";
import { tarFs } from "./tar.js";

export interface BaseImageInput {
  baseImage: string | undefined;
  dockerfile: string | undefined;
  localImage: boolean;
  /** Used when neither baseImage nor dockerfile is given. */
  defaultBaseImage: string;
}

const IGNORED = new Set(["node_modules", ".git"]);

/** Makes sure the base image exists in the engine and returns its reference. */
export async function ensureBaseImage(engine: DockerEngine, input: BaseImageInput, output?: BuildOutput): Promise<string> {
  if (input.dockerfile !== undefined) {
    const dir = dirname(input.dockerfile);
    const tag = `sluice-base:${createHash("sha256").update(input.dockerfile).digest("hex").slice(0, 16)}`;
    output?.line(`Building the base image ${tag} from ${input.dockerfile}`);
    const { pack } = await tarFs();
    const context = pack(dir, { ignore: (path: string) => IGNORED.has(basename(path)) && dirname(path) === dir }) as unknown as Readable;
    try {
      await engine.build(context, { t: tag, dockerfile: basename(input.dockerfile), labels: { [LABEL_KIND]: "base" }, rm: true, forcerm: true }, output);
    } catch (error) {
      const detail = error instanceof BuildError ? error.engineError : (error as Error).message;
      throw new SluiceError("BUILD_FAILED", `building the user's dockerfile ${input.dockerfile} failed: ${detail}`, {
        field: "dockerfile",
        value: input.dockerfile,
        cause: error,
      });
    }
    return tag;
  }
  const base = input.baseImage ?? input.defaultBaseImage;
  if (await engine.inspectImage(base)) return base;
  const field = input.baseImage === undefined ? "docker.baseImage" : "baseImage";
  if (input.localImage) {
    throw new SluiceError(
      "BUILD_FAILED",
      `base image ${base} does not exist in the Docker engine at ${engine.address}, and localImage is true so it is not pulled; build or load it first (docker images lists what exists)`,
      { field, value: base, kind: "docker" },
    );
  }
  try {
    await engine.pull(base, output);
  } catch (error) {
    // The default base: say which setting names it and how to get a base without pulling.
    const hint =
      input.baseImage === undefined
        ? `; set SLUICE__DOCKER__BASE_IMAGE (docker.baseImage) to an image this engine has, e.g. one imported from this machine's node (in a Sluice checkout, bash scripts/services.sh start builds node20-local:base), or give the storage a baseImage or dockerfile`
        : "; give the storage a baseImage this engine has or can pull, or a dockerfile";
    throw new SluiceError(
      "BUILD_FAILED",
      `base image ${base} does not exist locally and pulling it failed: ${(error as Error).message.replace(/^pulling image \S+ failed: /, "")}${hint}`,
      {
        field,
        value: base,
        kind: "docker",
        cause: error,
      },
    );
  }
  return base;
}
