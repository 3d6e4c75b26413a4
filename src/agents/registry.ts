/**
 * Agent kinds: a kind string → a lazy loader of its deployer factory, so `sluice agent start local`
 * never loads dockerode or the Kubernetes client. To add a kind, add ONE entry to `kinds` (the
 * Kubernetes agent: `kubernetes: { ..., load: async () => (await import("./kubernetes/index.js")).createKubernetesDeployer }`).
 */
import { SluiceError, showValue } from "../core/errors.js";
import type { DeployerFactory } from "./deployer.js";

export interface AgentKind {
  /** One line for `sluice agent start --help`. */
  description: string;
  /** Loads the factory (one dynamic import). */
  load: () => Promise<DeployerFactory>;
}

const kinds: Record<string, AgentKind> = {
  local: {
    description: "runs each flow run as a child process on this machine",
    load: async () => (await import("./local/index.js")).createLocalDeployer,
  },
  docker: {
    description: "runs each flow run in a container of the flow's image",
    load: async () => (await import("./docker/index.js")).createDockerDeployer,
  },
  kubernetes: {
    description: "runs each flow run as a Kubernetes Job of the flow's image, and manages the Jobs of runs",
    load: async () => (await import("./kubernetes/index.js")).createKubernetesDeployer,
  },
};

/** Registers a kind at run time (built-in kinds are listed in `kinds` above). */
export function registerAgentKind(kind: string, entry: AgentKind): void {
  if (typeof kind !== "string" || !/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new SluiceError("INVALID_OPTION", `agent kind ${showValue(kind)} is not valid; use lowercase letters, digits and -`, { field: "kind", value: kind });
  }
  kinds[kind] = entry;
}

/** The known kinds, e.g. ["local", "docker"]. */
export function agentKinds(): string[] {
  return Object.keys(kinds);
}

/** The entry of `kind`; an unknown kind is an error listing the known ones. */
export function agentKind(kind: string): AgentKind {
  const entry = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
  if (!entry) throw new SluiceError("INVALID_INPUT", `unknown agent kind ${showValue(kind)}; known kinds: ${agentKinds().join(", ")}`, { field: "kind", value: kind });
  return entry;
}
