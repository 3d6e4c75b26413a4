/**
 * What a platform is, in one object: where Sluice can run flow runs (this machine, a Docker Engine, a
 * Kubernetes cluster...). Each folder under src/platforms/ exports one `Platform` from its `platform.ts`,
 * and src/platforms/index.ts lists them. The environment registry, the agent registry, the configuration
 * schema and the flags of `sluice agent start` are built from that list, so adding a platform is one folder
 * plus one line there.
 *
 * A descriptor is light on purpose: importing it loads no SDK and not zod (schemas are `lazy`, classes and
 * deployers are behind `load()`), because every CLI start reads the list.
 */
import type { z } from "zod";
import type { DeployerFactory } from "../agents/deployer.js";
import type { Environment, EnvironmentOptions } from "../core/environment.js";
import type { PlatformConfig } from "../config/kit.js";

export type { PlatformConfig };

/** An environment class as the registry loads it. */
export type EnvironmentClass = new (options: EnvironmentOptions & Record<string, unknown>) => Environment;

/** One environment kind of a platform, as the environment registry knows it. */
export interface EnvironmentKind {
  /** The serialized type of the kind's class, e.g. "DockerEnvironment". */
  type: string;
  /** The flow's code must be in an image (DockerStorage) for this kind to launch it. */
  needsImage: boolean;
  /** `execute()` runs the flow in the calling process (nothing is launched). @default false */
  inProcess?: boolean;
  /** Schema of the options in JSON form (common options included). */
  options: z.ZodType<Record<string, unknown>>;
  /** Loads the class (one dynamic import). */
  load: () => Promise<EnvironmentClass>;
}

/** An environment kind as a platform declares it: its own options only (the registry adds the common ones). */
export interface PlatformEnvironmentKind {
  /** The serialized type of the kind's class, e.g. "DockerEnvironment". */
  type: string;
  /** The flow's code must be in an image (DockerStorage) for this kind to launch it. @default false */
  needsImage?: boolean;
  /**
   * `execute()` runs the flow in the calling process (nothing is launched), so wherever an agent runs
   * stage "deploy", the run happens there. @default false
   */
  inProcess?: boolean;
  /** Schema of the kind's own options in JSON form, built on first use. @default undefined (the common options only) */
  options?: () => z.ZodObject;
  /** Loads the class (one dynamic import). */
  load: () => Promise<unknown>;
}

/**
 * A flag of `sluice agent start` that the platform's agent reads. Every flag is a configuration
 * override: `--namespace flows` sets `kubernetes.namespace`, so the configuration schema validates it and
 * its errors name the key.
 */
export interface AgentFlag {
  /** The flag as commander takes it: "--namespace <ns>", a switch "--keep-containers", or a negation "--no-delete-finished-jobs". */
  flags: string;
  /** One line for `--help` (the platform's name is put before it). */
  description: string;
  /** The configuration key it sets, "section.key" (e.g. "kubernetes.namespace", "agent.dockerNetwork"). */
  key: `${string}.${string}`;
}

/** The agent of a platform: `sluice agent start <kind>`. */
export interface PlatformAgent {
  /** The kind, as registered with the server (e.g. "docker"). */
  kind: string;
  /** One line for `sluice agent start --help`. */
  description: string;
  /** Loads the deployer factory (one dynamic import). */
  load: () => Promise<DeployerFactory>;
  /** Flags of `sluice agent start` only this agent reads. @default [] */
  flags?: readonly AgentFlag[];
  /**
   * The environment kinds (of this platform) whose runs this agent launches and follows to their end:
   * stage "deploy" creates what runs them on this platform. Kinds that run in process (`inProcess`) are
   * followed by every agent, as they run where the agent put stage "deploy".
   */
  launches: readonly string[];
}

/** One platform. */
export interface Platform<Name extends string = string> {
  /** The platform's name, also the name of its configuration section and its folder. */
  name: Name;
  /** One line saying where it runs flow runs. */
  description: string;
  /** Its configuration section and agent keys (also listed in config-sections.ts). @default undefined (none) */
  config?: PlatformConfig;
  /** Its environment kinds, by kind string (e.g. "kubernetes-job"). */
  environments: Readonly<Record<string, PlatformEnvironmentKind>>;
  /** Its agent. @default undefined (no agent) */
  agent?: PlatformAgent;
}

/** Declares a platform, keeping its name's literal type. */
export function definePlatform<const Name extends string>(platform: Platform<Name>): Platform<Name> {
  return platform;
}
