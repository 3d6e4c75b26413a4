import type { DeployerFactory } from "../deployer.js";
import { DockerDeployer, inheritedRunSettings } from "./docker-deployer.js";

export { AGENT_LABEL, DockerDeployer, FLOW_RUN_LABEL, demux, inheritedRunSettings, type DockerDeployerOptions } from "./docker-deployer.js";

/** The Docker agent's deployer, configured from `config` (engine address, network, keepContainers). */
export const createDockerDeployer: DeployerFactory = ({ config }) =>
  new DockerDeployer({
    ...(config.docker.host === undefined ? {} : { engineHost: config.docker.host }),
    network: config.agent.dockerNetwork,
    keepContainers: config.agent.keepContainers,
    env: inheritedRunSettings(config),
  });
