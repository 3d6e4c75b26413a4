/**
 * Sluice's home directory and the process environment handed to child processes. Apart from the schema
 * (no zod, no platform list), so code the configuration schema is built from may import it.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { SluiceConfig } from "./schema.js";

/** The home directory when the configuration names none: SLUICE__HOME, else ~/.sluice. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLUICE__HOME ?? join(env.HOME ?? homedir(), ".sluice");
}

/** The home directory of a loaded config (always set by loadConfig). */
export const homeOf = (config: Pick<SluiceConfig, "home">): string => config.home ?? defaultHome();

/**
 * A copy of this process's environment, for child processes that must inherit it (PATH, HOME, SLUICE__*),
 * e.g. the local agent's flow-run processes. The config module stays the only reader of process.env.
 */
export const inheritedEnv = (): Record<string, string | undefined> => ({ ...process.env });
