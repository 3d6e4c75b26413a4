/**
 * Sluice itself, as a package to copy into images: where its root is, its compiled `dist/` (built first
 * when this is a source checkout whose dist is missing or older than src), and the production packages
 * it needs at run time (the closure of `dependencies` and `optionalDependencies`, found the way Node
 * resolves them, so it works in this repository and when Sluice is installed in a user's project).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, sep } from "node:path";
import { SluiceError } from "../../core/errors.js";
import { sluiceRoot } from "../../core/package-root.js";
import type { BuildOutput } from "../../core/storage.js";

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readJson = (path: string): PackageJson => JSON.parse(readFileSync(path, "utf8")) as PackageJson;

export { sluiceRoot };

/** Sluice's version from its package.json. */
export const sluiceVersion = (root: string = sluiceRoot()): string => readJson(join(root, "package.json")).version ?? "0.0.0";

function newestMtime(dir: string, accept: (name: string) => boolean): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, accept));
    else if (accept(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `fn` holding a lock file shared by every process on this machine (builds of dist/ must not overlap). */
async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  const path = join(tmpdir(), `sluice-${name}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > timeoutMs) await rm(path, { force: true });
      else if (Date.now() - started > timeoutMs)
        throw new SluiceError("BUILD_FAILED", `waited ${timeoutMs} ms for the lock ${path}; remove it if no build is running`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

/** Runs the package's build (scripts/build.mjs: tsc for declarations, esbuild for the bundled code). */
function runBuild(root: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * Makes sure `dist/` holds built Sluice. In a source checkout (src/ and scripts/build.mjs present) a
 * missing or stale dist (older than a file of src/) is rebuilt with scripts/build.mjs; type errors are
 * reported but do not stop the build when the bundle was still written.
 */
export async function ensureDist(root: string = sluiceRoot(), output?: BuildOutput): Promise<void> {
  const dist = join(root, "dist");
  const entry = join(dist, "index.js");
  const isCheckout = existsSync(join(root, "src", "index.ts")) && existsSync(join(root, "scripts", "build.mjs"));
  // The build rewrites every output file, so the entry's mtime is when dist/ was last built.
  const fresh = (): boolean => {
    if (!existsSync(entry) || !existsSync(join(dist, "cli", "main.js"))) return false;
    if (!isCheckout) return true;
    return newestMtime(join(root, "src"), (n) => n.endsWith(".ts") && !n.endsWith(".test.ts")) <= statSync(entry).mtimeMs;
  };
  if (fresh()) return;
  if (!isCheckout) {
    throw new SluiceError("BUILD_FAILED", `Sluice's compiled files are missing in ${dist}; reinstall the sluice package`);
  }
  await withLock(`dist-${createHash("sha256").update(root).digest("hex").slice(0, 12)}`, async () => {
    if (fresh()) return;
    output?.line(`Building Sluice (dist/ is missing or older than src/): node scripts/build.mjs`);
    const { code, output: text } = await runBuild(root);
    if (!existsSync(entry) || !existsSync(join(dist, "cli", "main.js"))) {
      throw new SluiceError("BUILD_FAILED", `building Sluice failed (exit ${code}):\n${text.split("\n").slice(0, 30).join("\n")}`);
    }
    if (code !== 0) output?.line(`the build reported errors (the bundle was written; continuing):\n${text.split("\n").slice(0, 10).join("\n")}`);
  });
}

/** A production package to copy: where it is on disk and where it goes in the image. */
export interface RuntimePackage {
  /** Absolute directory on this machine. */
  source: string;
  /** Path under /opt/sluice in the image, e.g. "node_modules/zod". */
  target: string;
  /** name@version, for cache keys. */
  id: string;
}

/** Node's lookup: `<dir>/node_modules/<name>` upward from `from`, skipping directories that are themselves node_modules. */
function findPackageDir(name: string, from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (basename(dir) !== "node_modules" && existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** True when Sluice is installed in a project's node_modules (not a source checkout). */
function isInstalled(root: string): boolean {
  const parent = dirname(root);
  return basename(parent) === "node_modules" || (basename(parent).startsWith("@") && basename(dirname(parent)) === "node_modules");
}

/**
 * Where a package directory goes in the image, relative to /opt/sluice: "node_modules/<name>" for the
 * packages of the project's node_modules (a checkout's own, or the ancestors' of an installed Sluice),
 * "node_modules/sluice/node_modules/<name>" for those nested inside an installed Sluice.
 */
function targetOf(source: string, root: string): string | undefined {
  const inRoot = relative(root, source);
  if (!inRoot.startsWith("..") && inRoot.startsWith(`node_modules${sep}`)) {
    const rel = inRoot.split(sep).join("/");
    return isInstalled(root) ? `node_modules/sluice/${rel}` : rel;
  }
  let dir = dirname(root);
  for (;;) {
    const modules = join(dir, "node_modules");
    const rel = relative(modules, source);
    if (!rel.startsWith("..") && rel !== "") return `node_modules/${rel.split(sep).join("/")}`;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The production packages Sluice needs at run time, outermost directories only (a package nested in
 * another's node_modules comes along with it), sorted by target.
 */
export function runtimePackages(root: string = sluiceRoot()): RuntimePackage[] {
  const seen = new Map<string, RuntimePackage>();
  const queue: string[] = [root];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const pkg = readJson(join(dir, "package.json"));
    const names = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    for (const name of names) {
      const found = findPackageDir(name, dir);
      if (!found || seen.has(found) || found === root) continue;
      const target = targetOf(found, root);
      if (!target) continue;
      const info = readJson(join(found, "package.json"));
      seen.set(found, { source: found, target, id: `${info.name ?? name}@${info.version ?? "0.0.0"}` });
      queue.push(found);
    }
  }
  const all = [...seen.values()].sort((a, b) => a.target.localeCompare(b.target));
  return all.filter((p) => !all.some((outer) => outer !== p && p.target.startsWith(`${outer.target}/`)));
}
