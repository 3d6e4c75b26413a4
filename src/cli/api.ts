/**
 * What the server-side commands share: the API client built from the configuration (SLUICE__API__URL and
 * SLUICE__API__KEY, or the config file), with few retries so a command fails fast when the server is down.
 * Imported by actions only (src/cli/actions/), never by a command's definition: it loads the client.
 */
import { createClient, type SluiceClient } from "../client/index.js";
import { loadConfig, type SluiceConfig } from "../config/index.js";

export { allTaskRuns } from "../deployment/flow-run-entry.js";

/** The client of the configured server. */
export function apiClient(config: SluiceConfig): SluiceClient {
  return createClient({ url: config.api.url, apiKey: config.api.key, retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 } });
}

/** Loads the configuration (with `overrides` in the schema's shape) and builds the client. */
export function connect(overrides?: Record<string, unknown>): { config: SluiceConfig; client: SluiceClient } {
  const config = loadConfig(overrides ? { overrides } : {});
  return { config, client: apiClient(config) };
}
