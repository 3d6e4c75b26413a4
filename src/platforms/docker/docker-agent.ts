/** The Docker agent: each claimed run as a container of the flow's image. The engine client loads on first use. */
import { inheritedRunSettings, type DeployerFactory } from "../../agents/deployer.js";
import { DockerDeployer } from "./docker-deployer.js";

export { AGENT_LABEL, DockerDeployer, FLOW_RUN_LABEL, demux, type DockerDeployerOptions } from "./docker-deployer.js";

/** The Docker agent's deployer, configured from `config` (engine address, network, keepContainers); it refuses runs of environment types outside `followedTypes`. */
export const createDockerDeployer: DeployerFactory = ({ config, followedTypes, runnersOf }) =>
  new DockerDeployer({
    ...(followedTypes === undefined ? {} : { runs: followedTypes }),
    ...(runnersOf === undefined ? {} : { runnersOf }),
    ...(config.docker.host === undefined ? {} : { engineHost: config.docker.host }),
    network: config.agent.dockerNetwork,
    keepContainers: config.agent.keepContainers,
    env: inheritedRunSettings(config),
  });
