/**
 * The platforms' configuration fragments, one line per platform that has configuration: the schema
 * (src/config/schema.ts) is built from the base sections and these. A list of its own because the
 * configuration must not import the platform list: the platforms' lazy loaders reach code that loads the
 * configuration, which would be an import cycle. Each platform.ts declares the same fragment, and a test
 * (test/platforms/platform-list.test.ts) fails when the two lists disagree.
 */
import { dockerConfig } from "./docker/config.js";
import { kubernetesConfig } from "./kubernetes/config.js";

export const PLATFORM_CONFIGS = [dockerConfig, kubernetesConfig] as const;
