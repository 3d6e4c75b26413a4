/**
 * Bundles a flow's module (TypeScript or JavaScript) into one ESM file with esbuild: the module's own
 * relative imports come along, packages stay imports (they come from `dependencies` or from Sluice's own
 * packages in the image). esbuild is loaded on first use.
 */
import { createHash } from "node:crypto";
import { basename, extname, resolve } from "node:path";
import { SluiceError } from "../../core/errors.js";
import { slugify } from "./naming.js";

/** The file name of a module's bundle in the image: a slug of its base name plus a hash of its path. */
export function bundleFileName(modulePath: string): string {
  const base = slugify(basename(modulePath, extname(modulePath))) || "flow";
  const hash = createHash("sha256").update(modulePath).digest("hex").slice(0, 8);
  return `${base}-${hash}.mjs`;
}

/** `require` for CommonJS code inside the ESM bundle (esbuild leaves `require` calls of external packages). */
const REQUIRE_SHIM = 'import { createRequire as __sluiceCreateRequire } from "node:module"; const require = __sluiceCreateRequire(import.meta.url);';

/**
 * Writes the bundle of `modulePath` to `outFile` and resolves to the absolute paths of the source modules
 * it holds (the module first, then what it imports by relative path). Errors name the module and carry
 * esbuild's messages.
 */
export async function bundleModule(modulePath: string, outFile: string): Promise<string[]> {
  const esbuild = await import("esbuild");
  try {
    const built = await esbuild.build({
      entryPoints: [modulePath],
      outfile: outFile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      banner: { js: REQUIRE_SHIM },
      logLevel: "silent",
      legalComments: "none",
      metafile: true,
    });
    // Inputs are named relative to esbuild's working directory (this process's).
    const inputs = Object.keys(built.metafile.inputs).map((input) => resolve(input));
    return [modulePath, ...inputs.filter((input) => input !== modulePath)];
  } catch (error) {
    const failure = error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    const messages = (failure.errors ?? []).map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text));
    throw new SluiceError(
      "BUILD_FAILED",
      `bundling flow module ${modulePath} failed: ${messages.length > 0 ? messages.join("; ") : (error as Error).message}`,
      { field: "module", value: modulePath, cause: error },
    );
  }
}
