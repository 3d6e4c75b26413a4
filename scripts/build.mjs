#!/usr/bin/env node
// Builds dist/: type declarations with tsc (tsconfig.build.json, declarations only), and the code as a
// bundle. Why a bundle: Node's ES module loader pays per file (resolve, read, compile, link: about 0.7 ms
// each here), Sluice is ~300 files, and a cold `sluice run` loaded ~150 of them.
//
// Two steps: esbuild strips the types file by file (keeping class and function names: serialized
// environments and storage carry their class names), then rollup bundles with chosen chunks:
// - dist/index.js, dist/cli/main.js, dist/executors/workers/worker.js, dist/testing/index.js (`sluice/testing`):
//   the entry points, at their paths;
// - chunks/core: everything `import "sluice"` loads (the public API and what it imports);
// - chunks/cli: what the CLI and `sluice run` load besides (commands, display, the run action);
// - every other `await import(...)` (other commands, SDK-facing launch code, the server...) stays its own
//   chunk, loaded only when used.
// Packages stay external (one copy of zod, pino... shared with the user's code).
// --code-only: rebuild the code and keep the declarations already in dist/ (quick, for measuring).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { rollup } from "rollup";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
const quiet = process.argv.includes("--quiet");
const codeOnly = process.argv.includes("--code-only");
const say = (line) => quiet || console.log(line);

/** The entry points: name in dist/ → source module. */
const ENTRIES = { index: "index", "cli/main": "cli/main", "executors/workers/worker": "executors/workers/worker", "testing/index": "testing/index" };
/** Modules loaded by `sluice run` through a dynamic import, kept with the CLI's chunk. */
const CLI_STARTUP = ["cli/actions/run"];

if (!codeOnly) rmSync(join(root, "dist"), { recursive: true, force: true });
else
  for (const name of ["chunks", "index.js", "cli/main.js", "executors/workers/worker.js", "testing/index.js"])
    rmSync(join(root, "dist", name), { recursive: true, force: true });

const tsc = codeOnly
  ? { status: 0 }
  : spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });

// 1. Types stripped, one output file per source file, imports untouched.
const sources = [];
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) sources.push(path);
  }
};
walk(join(root, "src"));
const plain = mkdtempSync(join(tmpdir(), "sluice-build-"));
try {
  await build({
    absWorkingDir: root,
    entryPoints: sources,
    outbase: "src",
    outdir: plain,
    bundle: false,
    format: "esm",
    platform: "node",
    target: "node20",
    keepNames: true,
    logLevel: "warning",
  });

  // 2. Bundled with chosen chunks.
  const entryIds = new Set(Object.values(ENTRIES).map((m) => join(plain, `${m}.js`)));
  /** Modules statically reachable from `starts` (themselves included), skipping those in `except`. */
  const closure = (getModuleInfo, starts, except = new Set()) => {
    const seen = new Set();
    const stack = [...starts];
    while (stack.length > 0) {
      const id = stack.pop();
      if (seen.has(id) || except.has(id)) continue;
      const info = getModuleInfo(id);
      if (!info || info.isExternal) continue;
      seen.add(id);
      stack.push(...info.importedIds);
    }
    return seen;
  };
  let core;
  let cli;
  const bundle = await rollup({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, m]) => [name, join(plain, `${m}.js`)])),
    external: (id) => !id.startsWith(".") && !id.startsWith("/"),
    preserveEntrySignatures: "exports-only",
    onwarn: (warning, warn) => {
      if (warning.code === "CIRCULAR_DEPENDENCY") return; // type-only cycles are gone after esbuild; the rest are lint's (import-x/no-cycle) business
      warn(warning);
    },
  });
  const { output } = await bundle.write({
    dir: join(root, "dist"),
    format: "es",
    entryFileNames: "[name].js",
    chunkFileNames: "chunks/[name]-[hash].js",
    // Entry modules stay in their entry files: cli/main runs the CLI when evaluated, and must not run
    // because a chunk it shares with `import "sluice"` was loaded.
    manualChunks(id, { getModuleInfo }) {
      if (entryIds.has(id)) return undefined;
      core ??= closure(getModuleInfo, [join(plain, "index.js")]);
      cli ??= closure(getModuleInfo, [join(plain, "cli/main.js"), ...CLI_STARTUP.map((m) => join(plain, `${m}.js`))], core);
      if (core.has(id)) return "core";
      if (cli.has(id)) return "cli";
      return undefined;
    },
  });
  await bundle.close();
  const code = output.filter((o) => o.type === "chunk");
  const bytes = code.reduce((sum, o) => sum + o.code.length, 0);
  say(
    `dist/: ${code.length} files, ${(bytes / 1024).toFixed(0)} KiB of code from ${sources.length} modules, declarations ${codeOnly ? "kept" : tsc.status === 0 ? "ok" : "FAILED"} (${Date.now() - started} ms)`,
  );
} finally {
  rmSync(plain, { recursive: true, force: true });
}
// The web UI (src/ui) is built by Vite into dist/ui, served by `sluice server start`.
if (tsc.status === 0) await import("./build-ui.mjs");
process.exit(tsc.status === 0 ? 0 : 1);
