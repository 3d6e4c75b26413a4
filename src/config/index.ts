export { DEFAULT_CONFIG, defaultConfig } from "./defaults.js";
export { configSchema, LOG_LEVELS, type SluiceConfig, type SluiceConfigInput } from "./schema.js";
export { loadConfig, configFromEnv, defaultHome, homeOf, inheritedEnv, type LoadConfigOptions } from "./load.js";
