/**
 * The yaml package, loaded on first use: it costs tens of milliseconds at start-up, and only the code that
 * reads a spec file needs it, while every `import "sluice"` loads the environment classes.
 */
import { createRequire } from "node:module";
import type * as Yaml from "yaml";

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  return (loaded ??= createRequire(import.meta.url)("yaml") as typeof Yaml);
}
