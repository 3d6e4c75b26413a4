/**
 * Where Sluice's own files are on disk, whatever runs: the TypeScript sources (src/, tests and dev), or
 * the built package (dist/, an esbuild bundle whose shared code sits in dist/chunks/, so a module cannot
 * find its neighbours relative to itself). Everything that needs a path inside the package asks here.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
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

function findRoot(from: string): string {
  let dir = dirname(from);
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate) && isSluicePackage(candidate)) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new SluiceError("INTERNAL", `cannot find Sluice's package.json above ${from}`);
    dir = parent;
  }
}

let ownRoot: string | undefined;

/** The directory of Sluice's package.json, found upward from `from` (default: this module, looked up once). */
export function sluiceRoot(from?: string): string {
  return from === undefined ? (ownRoot ??= findRoot(HERE)) : findRoot(from);
}

/** A path inside Sluice's package, e.g. sluicePath("bin", "sluice.js"). */
export const sluicePath = (...segments: string[]): string => join(sluiceRoot(), ...segments);
