/**
 * The Docker platform's configuration: `config.docker` (the engine's address, shared with Docker image
 * storage, and the base image of storage images) and the Docker agent's keys in `config.agent`. Light:
 * the configuration schema imports it through the platform list.
 */
import type { ConfigKit } from "../../config/kit.js";
import type { Zod } from "../../core/zod.js";

/** Keys of `config.docker`. */
export const dockerSection = (z: Zod) => ({
  /** Docker Engine address: a unix socket path, unix:///path, or tcp://host:port. @default undefined (the engine client's default: DOCKER_HOST, else /var/run/docker.sock) */
  host: z.string().optional(),
  /** Base image of Docker storage images that name neither baseImage nor dockerfile (Node >= 20.19 with /bin/sh). @default "node:20-slim" */
  baseImage: z.string().min(1),
});

/** Keys the Docker agent reads in `config.agent`. */
export const dockerAgentKeys = (z: Zod, { bool }: ConfigKit) => ({
  /** Docker agent: keep containers after they exit (for debugging). @default false */
  keepContainers: bool,
  /** Docker agent: network mode of run containers ("host" lets them reach a server on 127.0.0.1). @default "host" */
  dockerNetwork: z.string().min(1),
});

/** The Docker platform's configuration fragment. */
export const dockerConfig = {
  name: "docker",
  section: dockerSection,
  agentKeys: dockerAgentKeys,
  defaults: { section: { baseImage: "node:20-slim" }, agentKeys: { keepContainers: false, dockerNetwork: "host" } },
} as const;
