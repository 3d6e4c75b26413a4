/**
 * The flow-loading path: import a module and find the flows among its exports. Used by the CLI
 * (`sluice run`, `sluice flows`), by the workers executor inside each worker thread, and by the
 * distributed executor's workers, so a flow loads the same way wherever it runs.
 *
 * TypeScript modules (.ts, .mts, .tsx) are compiled by esbuild into a cache of ES modules that keep the
 * original file's imports, import.meta.url and stack-trace locations (see typescript-cache.ts), and
 * imported from there, without a loader hook; when that cannot be done faithfully (and for .cts, or when
 * the process already runs under tsx), they are imported through tsx, registered once per thread on first
 * need. Every failure is a FLOW_LOAD_FAILED error that names the module, the flow asked for, and the flows
 * that exist.
 */
import { existsSync, statSync } from "node:fs";
import { extname, isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { SluiceError } from "./errors.js";
import type { FlowLocator } from "./executor.js";
import { isFlow, type AnyFlow } from "./flow.js";
import { compileTypeScript } from "./typescript-cache.js";

export type { AnyFlow };

const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);
const MODULE_EXTENSIONS = new Set([...TS_EXTENSIONS, ".js", ".mjs", ".cjs", ".jsx"]);

/** Where a module given by a user or a locator is: a file (absolute path) or an installed package specifier. */
export type ResolvedModule = { kind: "file"; path: string; url: string } | { kind: "package"; specifier: string };

/**
 * Resolves `module` (a path relative to `cwd`, an absolute path, a file: URL, or a package specifier).
 * Something that looks like a file (./, ../, /, file:, or a module extension) must exist.
 */
export function resolveModule(module: string, cwd: string = process.cwd()): ResolvedModule {
  if (typeof module !== "string" || module.trim() === "") {
    throw new SluiceError("FLOW_LOAD_FAILED", `the flow module is ${JSON.stringify(module)}; give the path of a .ts or .js file that exports a flow`, {
      field: "module",
      value: module,
    });
  }
  let path: string | undefined;
  if (module.startsWith("file:")) path = fileURLToPath(module);
  else if (isAbsolute(module) || module.startsWith("./") || module.startsWith("../") || module === "." || module === "..") path = resolve(cwd, module);
  else if (existsSync(resolve(cwd, module)) || MODULE_EXTENSIONS.has(extname(module))) path = resolve(cwd, module);
  if (path === undefined) return { kind: "package", specifier: module };
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new SluiceError(
      "FLOW_LOAD_FAILED",
      `flow module ${path} does not exist${path === module ? "" : ` (given as ${module}, from ${cwd})`}; check the path`,
      {
        field: "module",
        value: module,
      },
    );
  }
  return { kind: "file", path, url: pathToFileURL(path).href };
}

/** A module's display name in messages. */
const nameOf = (m: ResolvedModule): string => (m.kind === "file" ? m.path : m.specifier);

let tsxRegistration: Promise<void> | undefined;

/** Set on globalThis by whoever registers tsx in a thread, so it is registered once (twice breaks it in worker threads). */
export const TSX_REGISTERED = Symbol.for("sluice.tsx-registered");

const TSX_FLAGS = new Set(["--import", "--loader", "--experimental-loader", "--require", "-r"]);

/**
 * Splits node options into those that load tsx (`--import tsx`, `--loader=.../tsx/...`) and the rest.
 * Worker threads get only the rest: in Node 20 a worker ignores `--import tsx` for ES modules, and a
 * second registration inside the worker fails.
 */
export function withoutTsxFlags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf("=");
    if (eq > 0 && TSX_FLAGS.has(arg.slice(0, eq)) && /\btsx\b/.test(arg.slice(eq + 1))) continue;
    if (TSX_FLAGS.has(arg) && /\btsx\b/.test(execArgv[i + 1] ?? "")) {
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** True when tsx already handles TypeScript in this thread: preloaded by the main thread's flags, or registered by Sluice. */
export function isTsxPreloaded(): boolean {
  if ((globalThis as Record<symbol, unknown>)[TSX_REGISTERED] === true) return true;
  if (!isMainThread) return false;
  const args = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  return /\btsx\b/.test(args);
}

/** Makes TypeScript importable in this thread (once). */
export function ensureTypeScript(): Promise<void> {
  tsxRegistration ??= (async () => {
    if (isTsxPreloaded()) return;
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    esm.register();
    cjs.register();
    (globalThis as Record<symbol, unknown>)[TSX_REGISTERED] = true;
  })();
  return tsxRegistration;
}

/**
 * The URL to import for a TypeScript file: its cached compilation when there is one (compiled now if
 * needed), else the file itself with tsx registered. Source maps are enabled first, so stack traces of
 * the compiled module (and the flow's module locator, read from the call stack) name the original file.
 */
async function typeScriptUrl(path: string): Promise<string> {
  if (!isTsxPreloaded()) {
    const compiled = await compileTypeScript(path);
    if (compiled) {
      if (compiled.needsTsx) await ensureTypeScript();
      process.setSourceMapsEnabled(true);
      return compiled.url;
    }
  }
  await ensureTypeScript();
  return pathToFileURL(path).href;
}

/** Imports a flow module (TypeScript compiled, or through tsx). Errors are FLOW_LOAD_FAILED naming the module and the cause. */
export async function importModule(module: string, cwd: string = process.cwd()): Promise<Record<string, unknown>> {
  const resolved = resolveModule(module, cwd);
  try {
    const url =
      resolved.kind === "package" ? resolved.specifier : TS_EXTENSIONS.has(extname(resolved.path)) ? await typeScriptUrl(resolved.path) : resolved.url;
    return (await import(url)) as Record<string, unknown>;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SluiceError("FLOW_LOAD_FAILED", `flow module ${nameOf(resolved)} failed to load: ${message}`, { field: "module", value: module, cause });
  }
}

/** The flows among a module's exports: every exported flow, and the flows in a default-exported object or list. */
export function flowsInExports(exports: Record<string, unknown>, module: string): AnyFlow[] {
  const found: AnyFlow[] = [];
  const add = (value: unknown): void => {
    if (isFlow(value) && !found.includes(value)) found.push(value);
  };
  for (const [name, value] of Object.entries(exports)) {
    add(value);
    if (name === "default" && value && typeof value === "object" && !isFlow(value)) {
      for (const inner of Array.isArray(value) ? value : Object.values(value)) add(inner);
    }
  }
  const names = new Map<string, number>();
  for (const f of found) names.set(f.name, (names.get(f.name) ?? 0) + 1);
  const duplicated = [...names].filter(([, n]) => n > 1).map(([name]) => name);
  if (duplicated.length > 0) {
    throw new SluiceError(
      "FLOW_LOAD_FAILED",
      `flow module ${module} exports different flows with the same name: ${duplicated.map((n) => `"${n}"`).join(", ")}; give each flow a unique name`,
      { field: "module", value: module },
    );
  }
  return found;
}

/** Imports `module` and returns its flows (at least one, else FLOW_LOAD_FAILED saying how to export one). */
export async function loadFlows(module: string, cwd: string = process.cwd()): Promise<AnyFlow[]> {
  const exports = await importModule(module, cwd);
  const name = nameOf(resolveModule(module, cwd));
  const flows = flowsInExports(exports, name);
  if (flows.length === 0) {
    const keys = Object.keys(exports);
    throw new SluiceError(
      "FLOW_LOAD_FAILED",
      `flow module ${name} exports no flow (its exports: ${keys.join(", ") || "none"}); export one, e.g. export const myFlow = flow("my-flow", {}, () => { ... })`,
      { field: "module", value: module },
    );
  }
  return flows;
}

/** Picks the flow named `flowName`, or the only flow when no name is given. Errors list the flows that exist. */
export function pickFlow(flows: readonly AnyFlow[], flowName: string | undefined, module: string): AnyFlow {
  const names = flows.map((f) => `"${f.name}"`).join(", ");
  if (flowName === undefined) {
    if (flows.length === 1) return flows[0]!;
    throw new SluiceError("FLOW_LOAD_FAILED", `flow module ${module} defines ${flows.length} flows (${names}); choose one by name (--flow <name>)`, {
      field: "flow",
    });
  }
  const flow = flows.find((f) => f.name === flowName);
  if (!flow) {
    throw new SluiceError("FLOW_LOAD_FAILED", `flow module ${module} has no flow named "${flowName}"; its flows are: ${names}`, {
      field: "flow",
      value: flowName,
    });
  }
  return flow;
}

const loaded = new Map<string, Promise<AnyFlow>>();

/**
 * Loads the flow a locator names. Cached per thread: every call with the same locator returns the same
 * flow object. A failure is not cached (the next call tries again).
 */
export function loadFlow(locator: FlowLocator, cwd: string = process.cwd()): Promise<AnyFlow> {
  const key = `${locator.flowName}\u0000${locator.module}`;
  let flow = loaded.get(key);
  if (!flow) {
    flow = (async () => {
      const flows = await loadFlows(locator.module, cwd);
      return pickFlow(flows, locator.flowName, nameOf(resolveModule(locator.module, cwd)));
    })();
    loaded.set(key, flow);
    flow.catch(() => loaded.delete(key));
  }
  return flow;
}

/** The locator of a flow loaded from `module`: what another thread or process needs to load it again. */
export function locatorOf(flowName: string, module: string, cwd: string = process.cwd()): FlowLocator {
  const resolved = resolveModule(module, cwd);
  return { module: resolved.kind === "file" ? resolved.path : resolved.specifier, flowName };
}
