/**
 * Where Sluice's own files are on disk, whatever runs: the TypeScript sources (src/, tests and dev), or
 * the built package (dist/, an esbuild bundle whose shared code sits in dist/chunks/, so a module cannot
 * find its neighbours relative to itself). Everything that needs a path inside the package asks here.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError } from "./errors.js";

const HERE = fileURLToPath(import.meta.url);

/** True when Sluice runs from its TypeScript sources (src/), false when from the built dist/. */
export const FROM_SOURCE = HERE.endsWith(".ts");

const isSluicePackage = (file: string): boolean => {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === "sluice";
  } catch {
    return false;
  }
};

/** The directory of Sluice's package.json, found upward from `from` (default: this module). */
export function sluiceRoot(from: string = HERE): string {
  if (from === HERE && cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(from);
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate) && isSluicePackage(candidate)) {
      if (from === HERE) cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new SluiceError("INTERNAL", `cannot find Sluice's package.json above ${from}`);
    dir = parent;
  }
}
let cachedRoot: string | undefined;

/** A path inside Sluice's package, e.g. sluicePath("bin", "sluice.js"). */
export const sluicePath = (...segments: string[]): string => join(sluiceRoot(), ...segments);

/**
 * The directory holding Sluice's running code: src/ from source, dist/ when built. A stack frame in a
 * file under it is Sluice's, not the user's.
 */
export const ownCodeDir = (): string => sluicePath(FROM_SOURCE ? "src" : "dist") + sep;
