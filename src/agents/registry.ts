/**
 * Agent kinds: a kind string → a lazy loader of its deployer factory, so `sluice agent start local`
 * never loads dockerode or the Kubernetes client. The kinds are the agents of the platforms
 * (src/platforms/index.ts); `registerAgentKind` adds one at run time.
 */
import { Registry } from "../core/registry.js";
import { environmentKind, environmentKinds } from "../platforms/environment-registry.js";
import { PLATFORMS, type AgentFlag } from "../platforms/index.js";
import type { DeployerFactory } from "./deployer.js";

export interface AgentKind {
  /** One line for `sluice agent start --help`. */
  description: string;
  /** Loads the factory (one dynamic import). */
  load: () => Promise<DeployerFactory>;
  /** Flags of `sluice agent start` only this kind reads. @default [] */
  flags?: readonly AgentFlag[];
  /** Environment kinds whose runs this agent launches and follows to their end (see PlatformAgent.launches). @default [] */
  launches?: readonly string[];
}

const kinds = new Registry<AgentKind>({ noun: "agent", registerWith: "registerAgentKind", field: "kind", unknownCode: "INVALID_INPUT" });
for (const platform of PLATFORMS) {
  const agent = platform.agent;
  if (agent) kinds.register(agent.kind, { description: agent.description, load: agent.load, flags: agent.flags ?? [], launches: agent.launches });
}

/** Registers a kind at run time (the platforms' agents are registered when this module loads). */
export function registerAgentKind(kind: string, entry: AgentKind): void {
  kinds.register(kind, entry);
}

/** The known kinds, e.g. ["local", "docker"]. */
export function agentKinds(): string[] {
  return kinds.kinds();
}

/** The entry of `kind`; an unknown kind is an error listing the known ones. */
export function agentKind(kind: string): AgentKind {
  return kinds.get(kind);
}

/** The flags of every agent kind, with the kind that reads each (for `sluice agent start`). */
export function agentFlags(): { kind: string; flag: AgentFlag }[] {
  return kinds.entries().flatMap(([kind, entry]) => (entry.flags ?? []).map((flag) => ({ kind, flag })));
}

/**
 * The serialized environment types whose runs an agent of `kind` follows to their end: those of the
 * kinds it launches, and every kind that runs in process (the run happens where the agent put stage
 * "deploy").
 */
export function followedEnvironmentTypes(kind: string): Set<string> {
  const launches = new Set(agentKind(kind).launches ?? []);
  const types = new Set<string>();
  for (const name of environmentKinds()) {
    const entry = environmentKind(name);
    if (launches.has(name) || entry.inProcess === true) types.add(entry.type);
  }
  return types;
}

/** The agent kinds that follow runs of environments serialized as `type` (see followedEnvironmentTypes). */
export function agentKindsRunning(type: string): string[] {
  return agentKinds().filter((kind) => followedEnvironmentTypes(kind).has(type));
}
