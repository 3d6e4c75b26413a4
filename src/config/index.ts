export { configSchema, LOG_LEVELS, type SluiceConfig, type SluiceConfigInput } from "./schema.js";
export { loadConfig, configFromEnv, defaultHome, homeOf, type LoadConfigOptions } from "./load.js";
