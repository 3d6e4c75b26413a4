/**
 * Finds the module that defined a flow, so other threads and processes can import it (FlowLocator):
 * the first frame of the call stack outside Sluice's core.
 */
import { dirname, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FROM_SOURCE, sluicePath } from "./package-root.js";

/** Sluice's core: src/core from source; all of dist/ when built (the bundle mixes core into shared chunks). */
const CORE_DIR = FROM_SOURCE ? dirname(fileURLToPath(import.meta.url)) : sluicePath("dist");
const FRAME = /at (?:.*? \()?(.+?):\d+:\d+\)?$/;

/** The file: URL of the first caller outside src/core (or dist/), or null when the stack shows none. */
export function callerModule(): string | null {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const location = FRAME.exec(line.trim())?.[1];
    if (!location) continue;
    let path: string;
    if (location.startsWith("file://")) path = fileURLToPath(location);
    else if (location.startsWith("/") || /^[A-Za-z]:\\/.test(location)) path = location;
    else continue; // node:internal, native, eval, <anonymous>
    if (path.startsWith(CORE_DIR + sep)) continue;
    return pathToFileURL(path).href;
  }
  return null;
}
