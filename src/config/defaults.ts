/**
 * The configuration when nothing is set, known without zod or the schema, so that a process with no config
 * file and no SLUICE__* variable (every `sluice run` by default) loads neither. It is assembled from the
 * tables the schema takes its defaults from (base-defaults.ts and each platform fragment's `defaults`), so
 * it is what `configSchema().parse({})` gives: optional keys without a default are absent here too.
 */
import { PLATFORM_CONFIGS } from "../platforms/config-sections.js";
import { BASE_DEFAULTS } from "./base-defaults.js";
import type { PlatformConfig } from "./kit.js";
import type { SluiceConfig } from "./schema.js";

function assemble(): SluiceConfig {
  const fragments: readonly PlatformConfig[] = PLATFORM_CONFIGS;
  const sections = Object.fromEntries(fragments.flatMap((p) => (p.section ? [[p.name, { ...p.defaults?.section }]] : [])));
  const agentKeys = Object.assign({}, ...fragments.map((p) => (p.agentKeys ? p.defaults?.agentKeys : undefined))) as Record<string, unknown>;
  const config: Record<string, unknown> = { ...BASE_DEFAULTS, agent: { ...BASE_DEFAULTS.agent, ...agentKeys }, ...sections };
  return structuredClone(config) as SluiceConfig;
}

export const DEFAULT_CONFIG: Readonly<SluiceConfig> = assemble();

/** A fresh copy of the defaults (callers may change it), equal to `configSchema().parse({})`. */
export const defaultConfig = (): SluiceConfig => structuredClone(DEFAULT_CONFIG) as SluiceConfig;
