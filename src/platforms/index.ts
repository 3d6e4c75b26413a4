/**
 * The platforms Sluice runs flow runs on, one line each. The environment registry, the agent registry,
 * the configuration schema and the flags of `sluice agent start` are built from this list: adding a
 * platform is its folder (with its platform.ts) plus one line here.
 */
import { awsPlatform } from "./aws/platform.js";
import { dockerPlatform } from "./docker/platform.js";
import { kubernetesPlatform } from "./kubernetes/platform.js";
import { localPlatform } from "./local/platform.js";

export const PLATFORMS = [localPlatform, dockerPlatform, kubernetesPlatform, awsPlatform] as const;

export type { AgentFlag, EnvironmentClass, EnvironmentKind, Platform, PlatformAgent, PlatformConfig, PlatformEnvironmentKind } from "./platform.js";
