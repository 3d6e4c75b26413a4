#!/usr/bin/env node
// The `sluice` command. Runs the compiled CLI (dist/); in a source checkout without a build, or with
// SLUICE_DEV=1, runs src/ through tsx instead.
import { existsSync } from "node:fs";

const dist = new URL("../dist/cli/main.js", import.meta.url);
if (process.env.SLUICE_DEV === "1" || !existsSync(dist)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("../src/cli/main.ts", import.meta.url).href);
} else {
  await import(dist.href);
}
