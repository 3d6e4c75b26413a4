/**
 * The Docker platform: flow runs in containers of the flow's image on a Docker Engine. The engine client
 * is Docker image storage's (src/storage/docker), which builds and pushes the images; this platform runs
 * containers from them.
 */
import { definePlatform } from "../platform.js";
import { dockerConfig } from "./config.js";
import { dockerEnvironmentSchema } from "./environment-options.js";

export const dockerPlatform = definePlatform({
  name: "docker",
  description: "a Docker Engine: each flow run in a container of the flow's image",
  config: dockerConfig,
  environments: {
    docker: {
      type: "DockerEnvironment",
      needsImage: true,
      options: dockerEnvironmentSchema,
      load: async () => (await import("./docker-environment.js")).DockerEnvironment,
    },
  },
  agent: {
    kind: "docker",
    description: "runs each flow run in a container of the flow's image",
    load: async () => (await import("./docker-agent.js")).createDockerDeployer,
    flags: [
      { flags: "--keep-containers", description: "keep run containers after they exit", key: "agent.keepContainers" },
      { flags: "--network <mode>", description: 'network mode of run containers (default: "host")', key: "agent.dockerNetwork" },
    ],
    launches: ["docker"],
  },
});
