/**
 * The Kubernetes agent: stage "deploy" of each claimed run as a Job in its namespace, and management of the
 * Jobs it and the environments created. The Kubernetes client loads on first use.
 */
import { inheritedRunSettings, type DeployerFactory } from "../../agents/deployer.js";
import { KubernetesDeployer } from "./kubernetes-deployer.js";
import { compileKubernetesAgentOptions } from "./agent-options.js";

export { KubernetesDeployer } from "./kubernetes-deployer.js";
export { JobManager, type JobManagerOptions } from "./job-manager.js";
export { buildAgentJob, defaultAgentTemplate, AGENT_LABEL, AGENT_JOB_PREFIX, type AgentJobOptions } from "./agent-job.js";
export {
  compileKubernetesAgentOptions,
  DEFAULT_API_KEY_SECRET,
  DEFAULT_TERMINATION_REPORT,
  type KubernetesAgentOptions,
  type KubernetesAgentExtras,
  type TerminationReportOptions,
} from "./agent-options.js";
export { containerStateLines, jobFailure, jobOutcome, podFailure, FATAL_WAITING_REASONS, type RunFailure } from "./pod-status.js";

/** The Kubernetes agent's deployer, configured from `config` (kubernetes.* keys; the CLI's flags override them). */
export const createKubernetesDeployer: DeployerFactory = ({ config, followedTypes, runnersOf }) =>
  new KubernetesDeployer(
    compileKubernetesAgentOptions(config, {
      env: inheritedRunSettings(config),
      ...(followedTypes ? { followedTypes, routing: { runs: followedTypes, ...(runnersOf ? { runnersOf } : {}) } } : {}),
    }),
  );
