/**
 * TypeScript flow modules without a loader hook: each local TypeScript file of a flow (the module and the
 * .ts files it imports) is compiled once by esbuild into an ES module in a private cache directory, named
 * by the hash of its path and content, and later runs import that file directly. Registering tsx instead
 * costs ~0.2 s per process or worker thread on Node 20 (its hooks run on a separate loader thread); a
 * cache hit costs reading and hashing the flow's own files.
 *
 * What a compiled file keeps of the original:
 * - its imports: relative (or absolute) ones of .ts files name their compiled files; packages, other
 *   files and Sluice's own code name the file Node would load from the ORIGINAL location (same
 *   conditions), so "sluice" and every package resolve to the same copy as before;
 * - `import.meta.url`, `.dirname` and `.filename`: the original file's;
 * - stack traces: an inline source map names the original file, and source maps are enabled before the
 *   import, so an error's stack and the flow's module locator (found from the call stack) point at the
 *   user's .ts file and lines.
 * Anything this cannot keep (another use of `import.meta`, an `import()` of a computed specifier, a
 * CommonJS TypeScript file, a build error) makes compileTypeScript return undefined: the caller then
 * loads the module through tsx, as before.
 */
import { createHash, randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import { sluicePath } from "./package-root.js";
import { SLUICE_VERSION } from "./version.js";

/** Bump when the compiled form changes, so old cache entries are not reused. */
const CACHE_FORMAT = 2;
const COMPILED_EXTENSIONS = new Set([".ts", ".mts", ".tsx"]);
const TYPESCRIPT_EXTENSIONS = new Set([...COMPILED_EXTENSIONS, ".cts"]);
/** Cache entries untouched this long are removed when the cache is written. */
const PRUNE_AFTER_MS = 14 * 24 * 3600_000;

/** What the cache knows of a compiled entry module: the files it was compiled from, and what it imports. */
interface Manifest {
  format: number;
  /** The compiled entry's path. */
  output: string;
  /** Every local TypeScript file compiled for the entry, and the tsconfig.json files they use, with the hash of their content. */
  sources: { path: string; hash: string }[];
  /** Files the compiled modules import directly (packages, JavaScript, JSON): they must still exist. */
  imports: string[];
  /** An import is itself TypeScript that Node cannot load natively (e.g. a package shipping .ts): tsx is still needed. */
  needsTsx: boolean;
}

/** A compiled entry module, ready to import. */
export interface CompiledModule {
  url: string;
  needsTsx: boolean;
}

/** Export conditions of this process (`--conditions` / `-C` in execArgv and NODE_OPTIONS), and Node's own optional ones. */
export function exportConditions(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ""): string[] {
  const args = [...execArgv, ...nodeOptions.split(/\s+/).filter(Boolean)];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^(?:--conditions|-C)(?:=(.*))?$/.exec(arg);
    if (!m) continue;
    const value = m[1] ?? args[++i];
    if (value) out.push(value);
  }
  if ((process.features as { require_module?: boolean }).require_module) out.push("module-sync");
  return [...new Set(out)];
}

const sha = (text: string): string => createHash("sha256").update(text).digest("hex").slice(0, 32);

/** The cache directory (created private to this user), or undefined when it is not safe or not writable. */
function cacheDirectory(): string | undefined {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const dir = join(tmpdir(), `sluice-ts-cache${uid === undefined ? "" : `-${uid}`}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || stat.isSymbolicLink()) return undefined;
    // Another user's directory, or one others may write to, could hold planted code: never import from it.
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o022) !== 0)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Sluice's own code (src/ or dist/ of this installation): always imported as it is, so there is one copy of it. */
const OWN_CODE = [sluicePath("src") + sep, sluicePath("dist") + sep];

/** Files never compiled here: packages, and Sluice's own code. */
const notCompiled = (path: string): boolean => path.split(sep).includes("node_modules") || OWN_CODE.some((dir) => path.startsWith(dir));

/** A specifier that names a file (relative or absolute) rather than a package. */
const isPathSpecifier = (specifier: string): boolean => /^(?:\.{1,2}(?:\/|$)|\/|file:)/.test(specifier);

/**
 * The compiled file of a local TypeScript file with content hash `hash`, under export conditions
 * `conditions` (they decide which files its package imports name, e.g. src/ or dist/ of Sluice).
 */
const outputPath = (dir: string, path: string, hash: string, conditions: string): string =>
  join(dir, `${sha(`${CACHE_FORMAT}\0${SLUICE_VERSION}\0${conditions}\0${path}\0${hash}`)}.mjs`);

/** The tsconfig.json esbuild reads for a file: the nearest one up from its directory, if any. */
function nearestTsconfig(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, "tsconfig.json");
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // none here: look further up
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Writes a file whole or not at all (concurrent writers of the same entry write the same bytes). */
function writeAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, path);
}

/** Source text the compiled form cannot keep faithfully: other uses of import.meta, import() of a computed specifier. */
function unsupported(source: string): string | undefined {
  if (/\bimport\s*\.\s*meta\b(?!\s*\.\s*(?:url|dirname|filename)\b)/.test(source)) return "import.meta other than .url, .dirname, .filename";
  if (/\bimport\s*\(\s*[^\s'")]/.test(source)) return "import() of a computed specifier";
  return undefined;
}

/** The manifest of `entry` when every file it lists is unchanged and every import still exists. */
function validManifest(file: string): Manifest | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (manifest.format !== CACHE_FORMAT) return undefined;
  try {
    for (const source of manifest.sources) if (sha(readFileSync(source.path, "utf8")) !== source.hash) return undefined;
    for (const path of [manifest.output, ...manifest.imports]) if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return manifest;
}

/**
 * Compiles `entry` (an absolute path to a .ts, .mts or .tsx file) and the local TypeScript files it
 * imports, or reuses the cached compilation. Undefined when the module must be loaded through tsx instead.
 */
export async function compileTypeScript(entry: string, conditions: readonly string[] = exportConditions()): Promise<CompiledModule | undefined> {
  if (!COMPILED_EXTENSIONS.has(extname(entry)) || notCompiled(entry)) return undefined;
  const dir = cacheDirectory();
  if (dir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(entry, "utf8");
  } catch {
    return undefined;
  }
  const manifestFile = join(dir, `${sha(`${CACHE_FORMAT}\0${SLUICE_VERSION}\0${conditions.join(",")}\0${entry}\0${sha(text)}`)}.json`);
  const cached = validManifest(manifestFile);
  if (cached) return { url: pathToFileURL(cached.output).href, needsTsx: cached.needsTsx };
  let manifest: Manifest | undefined;
  try {
    manifest = await build(entry, dir, conditions);
    if (!manifest) return undefined;
    writeAtomic(manifestFile, JSON.stringify(manifest));
  } catch {
    return undefined; // e.g. the cache directory is full or was removed meanwhile: tsx still loads the module
  }
  prune(dir);
  return { url: pathToFileURL(manifest.output).href, needsTsx: manifest.needsTsx };
}

/** Compiles every local TypeScript file reachable from `entry`; undefined when one cannot be compiled faithfully. */
async function build(entry: string, dir: string, conditions: readonly string[]): Promise<Manifest | undefined> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return undefined;
  }
  const hashes = new Map<string, string>();
  const hashOf = (path: string): string => {
    let hash = hashes.get(path);
    if (hash === undefined) {
      hash = sha(readFileSync(path, "utf8"));
      hashes.set(path, hash);
    }
    return hash;
  };
  const queue = [entry];
  const done = new Set<string>();
  const imports = new Set<string>();
  let needsTsx = false;
  let failed = false;
  const target = `node${process.versions.node.split(".").slice(0, 2).join(".")}`;
  const conditionKey = conditions.join(",");

  while (queue.length > 0) {
    const file = queue.shift()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, "utf8");
    if (unsupported(source) !== undefined) return undefined;
    const output = outputPath(dir, file, hashOf(file), conditionKey);
    const url = pathToFileURL(file).href;
    const plugin: Esbuild.Plugin = {
      name: "sluice-imports",
      setup(b) {
        b.onResolve({ filter: /.*/ }, async (args) => {
          if (args.kind === "entry-point" || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
          if (args.path.startsWith("node:")) return { path: args.path, external: true };
          const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } });
          if (resolved.errors.length > 0 || resolved.path === "") {
            failed = true;
            return { path: args.path, external: true };
          }
          if (resolved.external) return { path: args.path, external: true }; // a Node built-in
          const path = resolved.path;
          const ext = extname(path);
          // Only the flow's own files, imported by path, are compiled; a package (even one resolving to local
          // .ts files, e.g. through tsconfig paths or a self-reference) is imported where Node finds it.
          if (COMPILED_EXTENSIONS.has(ext) && isPathSpecifier(args.path) && !notCompiled(path)) {
            queue.push(path);
            return { path: pathToFileURL(outputPath(dir, path, hashOf(path), conditionKey)).href, external: true };
          }
          if (TYPESCRIPT_EXTENSIONS.has(ext)) needsTsx = true;
          imports.add(path);
          return { path: pathToFileURL(path).href, external: true };
        });
      },
    };
    let result: Esbuild.BuildResult<{ write: false }>;
    try {
      result = await esbuild.build({
        entryPoints: [file],
        outfile: output,
        bundle: true,
        write: false,
        format: "esm",
        platform: "node",
        target,
        conditions: [...conditions],
        mainFields: ["main"],
        keepNames: true,
        // Keep every statement, as tsx does: bundling would drop unused code it deems free of side effects.
        treeShaking: false,
        sourcemap: "external",
        sourcesContent: false,
        logLevel: "silent",
        define: {
          "import.meta.url": JSON.stringify(url),
          "import.meta.filename": JSON.stringify(file),
          "import.meta.dirname": JSON.stringify(dirname(file)),
        },
        plugins: [plugin],
      });
    } catch {
      return undefined;
    }
    if (failed) return undefined;
    const code = result.outputFiles.find((f) => f.path.endsWith(".mjs"))?.text;
    const map = result.outputFiles.find((f) => f.path.endsWith(".map"))?.text;
    if (code === undefined || map === undefined) return undefined;
    // The map names the original file by its URL, so stack traces (and the module locator) show it.
    const sourceMap = { ...(JSON.parse(map) as Record<string, unknown>), sources: [url] };
    const body = code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n");
    writeAtomic(output, `${body}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(sourceMap)).toString("base64")}\n`);
  }
  return {
    format: CACHE_FORMAT,
    output: outputPath(dir, entry, hashOf(entry), conditionKey),
    // A changed tsconfig.json (jsx, decorators, paths) recompiles too; files it extends are not followed.
    sources: [...new Set([...done, ...[...done].map(nearestTsconfig).filter((t): t is string => t !== undefined)])].map((path) => ({
      path,
      hash: hashOf(path),
    })),
    imports: [...imports],
    needsTsx,
  };
}

/** Removes cache files not written for PRUNE_AFTER_MS (best effort). */
function prune(dir: string): void {
  const cutoff = Date.now() - PRUNE_AFTER_MS;
  try {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
    }
  } catch {
    // another process pruned or wrote at the same time: nothing to do
  }
}
