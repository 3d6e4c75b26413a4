/**
 * Unknown keys in the configuration are errors, not silently dropped values: a misspelt key in the config
 * file, a SLUICE__ variable that names no key, or a flag's override outside the schema fails with the key,
 * where it came from, the nearest known key and the keys allowed there. The check walks the schema's own
 * objects, so every section (base or platform) is held to it without being declared strict one by one.
 */
import type { z } from "zod";
import { closestName } from "../core/closest-name.js";
import { SluiceError } from "../core/errors.js";

/** The three places configuration comes from, checked one by one so an error names the right one. */
export interface ConfigSources {
  /** The config file as parsed (keys as written) and its path. */
  file?: { path: string; value: unknown };
  /** The environment: only the variables starting with `prefix` are checked. */
  env: NodeJS.ProcessEnv;
  /** Values set by command-line flags, in the schema's shape. */
  overrides?: Record<string, unknown>;
}

interface KeyNaming {
  /** The prefix of configuration variables, e.g. "SLUICE__". */
  prefix: string;
  /** A key as written in the file or the flags' overrides ("heartbeat_timeout_ms") → the schema's key. */
  fileKey: (written: string) => string;
  /** A part of a variable's name ("HEARTBEAT_TIMEOUT_MS") → the schema's key. */
  envKey: (written: string) => string;
}

/** The parts of a zod schema's definition this walk reads. */
interface SchemaNode {
  _zod: { def: { type: string; shape?: Record<string, SchemaNode>; innerType?: SchemaNode; in?: SchemaNode } };
}

/** The keys of the object a schema describes, through defaults, optionals and transforms; undefined when it is no object. */
function objectShape(schema: SchemaNode): Record<string, SchemaNode> | undefined {
  let node: SchemaNode | undefined = schema;
  while (node) {
    const def: SchemaNode["_zod"]["def"] = node._zod.def;
    if (def.type === "object") return def.shape;
    node = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  }
  return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const envName = (prefix: string, path: readonly string[]): string => prefix + path.map((k) => snake(k).toUpperCase()).join("__");

/** "config.server" or "the top level" (where `home` and the sections are). */
const levelName = (path: readonly string[]): string => (path.length === 0 ? "the top level" : `config.${path.join(".")}`);

function unknownKey(message: string, field: string): SluiceError {
  // The value is left out: an unknown key may well be a misspelt secret.
  return new SluiceError("CONFIG_INVALID", message, { field });
}

/**
 * Throws CONFIG_INVALID for the first key of the file, of a SLUICE__ variable or of the overrides that
 * the schema does not know. Keys below a key whose value is not an object in the schema (lists, strings)
 * are left to the schema's own type check.
 */
export function rejectUnknownKeys(schema: z.ZodType, sources: ConfigSources, naming: KeyNaming): void {
  const root = schema as unknown as SchemaNode;
  if (sources.file) checkFile(root, sources.file.value, sources.file.path, naming);
  checkEnv(root, sources.env, naming);
  if (sources.overrides) checkObject(root, sources.overrides, [], [], naming.fileKey, "command-line flags", "Fix the flag");
}

function checkFile(root: SchemaNode, value: unknown, file: string, naming: KeyNaming): void {
  if (!isObject(value)) return;
  checkObject(root, value, [], [], naming.fileKey, `config file ${file}`, `Fix or remove it in ${file}`);
}

/**
 * Walks `value` against `schema`. `written` is the path as the source spells it (reported), `path` the
 * schema's keys (to name the level); `keyOf` maps one to the other.
 */
function checkObject(
  schema: SchemaNode,
  value: Record<string, unknown>,
  written: readonly string[],
  path: readonly string[],
  keyOf: (written: string) => string,
  where: string,
  fix: string,
): void {
  const shape = objectShape(schema);
  if (!shape) return;
  for (const [name, child] of Object.entries(value)) {
    const key = keyOf(name);
    const inner = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!inner) {
      const known = Object.keys(shape);
      // Suggest in the spelling the source used: snake_case keys get snake_case hints.
      const spelled = name.includes("_") ? known.map(snake) : known;
      const guess = closestName(name, spelled);
      const shown = [...written, name].join(".");
      throw unknownKey(
        `${where}: unknown configuration key "${shown}"${guess ? ` (did you mean "${[...written, guess].join(".")}"?)` : ""}. ` +
          `The keys of ${levelName(path)} are: ${spelled.join(", ")}. ${fix}.`,
        [...path, key].join("."),
      );
    }
    if (isObject(child)) checkObject(inner, child, [...written, name], [...path, key], keyOf, where, fix);
  }
}

function checkEnv(root: SchemaNode, env: NodeJS.ProcessEnv, { prefix, envKey }: KeyNaming): void {
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(prefix) || value === undefined) continue;
    const parts = variable.slice(prefix.length).split("__");
    let schema = root;
    const path: string[] = [];
    for (const [i, part] of parts.entries()) {
      const shape = objectShape(schema);
      if (!shape) {
        throw unknownKey(
          `environment variable ${variable} names no configuration key: ${levelName(path)} is a single value with no keys below it; ` +
            `set ${envName(prefix, path)} instead, or unset ${variable}.`,
          path.join("."),
        );
      }
      const key = envKey(part);
      const inner = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (!inner) {
        // A section's variables go on with its keys: SLUICE__SERVER__….
        const known = Object.entries(shape).map(([k, child]) => envName(prefix, [...path, k]) + (objectShape(child) ? "__…" : ""));
        const guess = closestName(
          part,
          Object.keys(shape).map((k) => snake(k).toUpperCase()),
        );
        throw unknownKey(
          `environment variable ${variable} names no configuration key: ${levelName(path)} has no key "${key}"` +
            `${guess ? ` (did you mean ${prefix}${[...parts.slice(0, i), guess, ...parts.slice(i + 1)].join("__")}?)` : ""}. The variables of ${levelName(path)} are: ${known.join(", ")}. Rename or unset ${variable}.`,
          [...path, key].join("."),
        );
      }
      schema = inner;
      path.push(key);
    }
  }
}
