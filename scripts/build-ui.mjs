#!/usr/bin/env node
// Builds the web UI (src/ui, React + Vite) into dist/ui, which `sluice server start` serves at `/`.
// Usage: node scripts/build-ui.mjs   (about 10 s on two cores; no type checking here: tsc -p src/ui does that)
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const started = Date.now();
await build({
  configFile: `${root}src/ui/vite.config.ts`,
  logLevel: process.env.SLUICE_BUILD_VERBOSE ? "info" : "warn",
});
console.log(`ui: dist/ui built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
