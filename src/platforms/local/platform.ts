/**
 * The local platform: flow runs in this process (LocalEnvironment) or, deployed by the local agent, in a
 * child process of the agent's machine.
 */
import { definePlatform } from "../platform.js";

export const localPlatform = definePlatform({
  name: "local",
  description: "this machine: the flow runs in this process, or in a child process of the local agent",
  environments: {
    local: { type: "LocalEnvironment", inProcess: true, load: async () => (await import("./local-environment.js")).LocalEnvironment },
  },
  agent: {
    kind: "local",
    description: "runs each flow run as a child process on this machine",
    load: async () => (await import("./local-agent.js")).createLocalDeployer,
    launches: ["local"],
  },
});
