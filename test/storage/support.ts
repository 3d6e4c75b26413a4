/**
 * Helpers of the storage and environment tests: scratch directories inside the repository (under the
 * git-ignored .sluice-test/), so modules written there import "sluice" by the package's own name.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A new scratch directory; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function scratchDir(prefix: string): string {
  const base = join(repoRoot, ".sluice-test");
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `${prefix}-`));
}

/** Writes files (relative path → content) into `dir`; returns the absolute path of the first. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  let first = "";
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    first ||= path;
  }
  return first;
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });
