/**
 * The only reader of process.env and of the config file. Everything else receives a SluiceConfig.
 */
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as Yaml from "yaml";
import { SluiceError, isSecretField, showFieldValue } from "../core/errors.js";
import { defaultConfig } from "./defaults.js";
import { defaultHome } from "./home.js";
import { configSchema, type SluiceConfig } from "./schema.js";
import { rejectUnknownKeys } from "./unknown-keys.js";

export interface LoadConfigOptions {
  /** Environment variables to read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Config file to read; `false` reads none. @default env.SLUICE_CONFIG or <home>/config.yaml if it exists */
  file?: string | false;
  /** Values that win over the file and the environment (e.g. CLI flags), in the schema's shape. */
  overrides?: Record<string, unknown>;
}

const PREFIX = "SLUICE__";

/**
 * Parses YAML text. The yaml package (~50 modules, tens of ms to load) is required only when a config file
 * exists, so a process without one (every `sluice run` by default) never loads it.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)("yaml") as typeof Yaml;
  return yaml.parse(text);
}

const camel = (s: string): string => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A key of the file or of the overrides: snake_case becomes camelCase, camelCase stays. */
const fileKey = (k: string): string => (k.includes("_") ? camel(k) : k);

function normalizeKeys(value: unknown): unknown {
  if (Array.isArray(value) || typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [fileKey(k), normalizeKeys(v)]));
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** SLUICE__API__URL=x → { api: { url: "x" } }; SLUICE__HOME=x → { home: "x" }. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(PREFIX) || value === undefined) continue;
    const parts = name.slice(PREFIX.length).split("__").map(camel);
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (next && typeof next === "object" ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** The AWS variables read into `config.aws`, by the key they set. */
const AWS_VARIABLES = {
  awsAccessKeyId: "AWS_ACCESS_KEY_ID",
  awsSecretAccessKey: "AWS_SECRET_ACCESS_KEY",
  awsSessionToken: "AWS_SESSION_TOKEN",
  regionName: "REGION_NAME",
} as const;
const CREDENTIAL_KEYS = ["awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken"] as const;

/**
 * Fills `config.aws` from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and REGION_NAME where
 * the configuration (SLUICE__AWS__* or the file) sets nothing: the AWS platform takes an environment's own
 * options first, then these, then the AWS SDK's default chain. The three credential variables count as one
 * set: when the configuration names any credential, none of them is taken, so a key id and a secret never
 * come from two places. Empty variables are ignored. Returns the `aws` section to merge, or undefined.
 */
export function awsConfigFromEnv(env: NodeJS.ProcessEnv, configured: Record<string, unknown> = {}): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const credentialsConfigured = CREDENTIAL_KEYS.some((k) => configured[k] !== undefined);
  for (const [key, name] of Object.entries(AWS_VARIABLES)) {
    const value = env[name];
    if (value === undefined || value === "" || configured[key] !== undefined) continue;
    if (credentialsConfigured && (CREDENTIAL_KEYS as readonly string[]).includes(key)) continue;
    out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Loads and validates the configuration: environment over config file over defaults. */
export function loadConfig(options: LoadConfigOptions = {}): SluiceConfig {
  const env = options.env ?? process.env;
  const fromEnv = configFromEnv(env);
  const home = (typeof fromEnv.home === "string" ? fromEnv.home : undefined) ?? defaultHome(env);
  const file = options.file === false ? undefined : (options.file ?? env.SLUICE_CONFIG ?? join(home, "config.yaml"));
  let fromFile: Record<string, unknown> = {};
  let fileText: unknown;
  if (file && existsSync(file)) {
    try {
      fileText = parseYaml(readFileSync(file, "utf8"));
      fromFile = (normalizeKeys(fileText ?? {}) ?? {}) as Record<string, unknown>;
    } catch (cause) {
      throw new SluiceError("CONFIG_INVALID", `config file ${file} cannot be parsed: ${(cause as Error).message}`, { field: file, cause });
    }
  } else if (options.file) {
    throw new SluiceError("CONFIG_INVALID", `config file ${file} does not exist: create it, or name an existing file in SLUICE_CONFIG`, {
      field: "SLUICE_CONFIG",
      value: file,
    });
  }
  const merged = deepMerge(deepMerge(deepMerge({ home }, fromFile), fromEnv), normalizeKeys(options.overrides ?? {}) as Record<string, unknown>);
  const configuredAws = merged.aws && typeof merged.aws === "object" && !Array.isArray(merged.aws) ? (merged.aws as Record<string, unknown>) : undefined;
  const awsFromEnv = awsConfigFromEnv(env, configuredAws);
  // Nothing set but the home directory (a string) and AWS variables (non-empty strings, valid as they
  // are): the schema would only fill in its defaults, so skip it (and zod, ~100 ms of every `sluice run`).
  if (Object.keys(merged).length === 1 && typeof merged.home === "string")
    return { ...defaultConfig(), home: merged.home, ...(awsFromEnv ? { aws: awsFromEnv } : {}) };
  if (awsFromEnv) merged.aws = { ...configuredAws, ...awsFromEnv };
  const schema = configSchema();
  rejectUnknownKeys(
    schema,
    {
      ...(file && fileText !== undefined ? { file: { path: file, value: fileText } } : {}),
      env,
      ...(options.overrides ? { overrides: options.overrides } : {}),
    },
    { prefix: PREFIX, fileKey, envKey: camel },
  );
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    const envName = PREFIX + path.map((p) => p.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join("__");
    const field = path.join(".");
    const at = (root: unknown): unknown =>
      path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), root);
    const value = at(merged);
    const shown = value === undefined ? "" : ` is ${showFieldValue(field, value)}, which is`;
    // A value given on the command line wins over the others: the flag is what to fix.
    const fix =
      at(normalizeKeys(options.overrides ?? {})) !== undefined
        ? "Fix the command-line flag that sets it"
        : `Fix the environment variable or the config file${file ? ` ${file}` : ""}`;
    throw new SluiceError("CONFIG_INVALID", `configuration ${field} (${envName})${shown || " is"} invalid: ${issue.message}. ${fix}.`, {
      field,
      ...(value === undefined || isSecretField(field) ? {} : { value }),
      cause: parsed.error,
    });
  }
  return parsed.data;
}

export { defaultHome, homeOf, inheritedEnv } from "./home.js";
