/** The local agent: each claimed run as a child process on the agent's machine. */
import { join } from "node:path";
import { homeOf } from "../../config/home.js";
import type { DeployerFactory } from "../../agents/deployer.js";
import { LocalDeployer } from "./local-deployer.js";

export { LocalDeployer, SLUICE_BIN, conditionFlags, type LocalDeployerOptions } from "./local-deployer.js";

/** The local agent's deployer, configured from `config` (child logs under <home>/agent-runs); it refuses runs of environment types outside `followedTypes`. */
export const createLocalDeployer: DeployerFactory = ({ config, followedTypes, runnersOf }) =>
  new LocalDeployer({
    logDir: join(homeOf(config), "agent-runs"),
    ...(followedTypes === undefined ? {} : { runs: followedTypes }),
    ...(runnersOf === undefined ? {} : { runnersOf }),
  });
