#!/usr/bin/env node
// Builds dist/: type declarations with tsc (tsconfig.build.json, declarations only), and the code as an
// esbuild bundle. The bundle is what makes a cold `sluice run` fast: Node's ES module loader pays per
// file, and Sluice is ~300 files. Entry points keep their paths (dist/index.js, dist/cli/main.js, the
// worker thread's dist/executors/workers/worker.js); the code they share goes to dist/chunks/, and every
// dynamic import() stays a separate chunk, loaded only when used. Packages stay external (one copy of
// zod, pino... shared with the user's code). Class and function names are kept: serialized
// environments and storage carry their class names.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
const quiet = process.argv.includes("--quiet");
const say = (line) => quiet || console.log(line);
/** --code-only: rebuild the bundle and keep the declarations already in dist/ (quick, for measuring). */
const codeOnly = process.argv.includes("--code-only");

if (!codeOnly) rmSync(join(root, "dist"), { recursive: true, force: true });
else rmSync(join(root, "dist", "chunks"), { recursive: true, force: true });

const tsc = codeOnly
  ? { status: 0 }
  : spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/index.ts", "src/cli/main.ts", "src/executors/workers/worker.ts"],
  outbase: "src",
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  keepNames: true,
  // No source maps: once a .ts flow turns them on (src/core/load.ts), Node would read and parse the maps
  // of every chunk it loads afterwards (~15 ms of a cold start); stack frames name dist/ files instead.
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
});
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".js"));
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
say(`dist/: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB of code, declarations ${codeOnly ? "kept" : tsc.status === 0 ? "ok" : "FAILED"} (${Date.now() - started} ms)`);
process.exit(tsc.status === 0 ? 0 : 1);
