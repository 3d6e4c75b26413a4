/** CloudClusterEnvironment: a temporary, secured worker cluster on ECS for each flow run. */
export {
  CloudClusterEnvironment,
  type CloudClusterEnvironmentOptions,
  type CloudClusterExecuteOptions,
  type ProviderOptions,
} from "./cloud-cluster-environment.js";
export { cloudClusterEnvironmentSchema } from "./options.js";
