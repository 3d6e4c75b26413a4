#!/usr/bin/env node
// Runs the test suite with Node's test runner, TypeScript loaded through tsx and the
// package's "sluice-source" export condition (so tests and examples share one copy of src/).
// Usage: node scripts/test.mjs [path-prefix ...]   e.g. node scripts/test.mjs test/core
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const roots = ["src", "test", "examples"];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, path));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((r) => {
    try {
      return walk(join(root, r), []);
    } catch {
      return [];
    }
  })
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ") || "(all)"}`);
  process.exit(1);
}
const args = [
  "--conditions=sluice-source",
  "--import",
  "tsx",
  "--test",
  "--test-concurrency=" + (process.env.SLUICE_TEST_CONCURRENCY ?? "2"),
  "--test-reporter=spec",
  ...files,
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
