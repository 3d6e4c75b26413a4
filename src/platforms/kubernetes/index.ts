/**
 * Kubernetes environments: KubernetesJobEnvironment (a Job from the user's spec) and
 * DockerOnKubernetesEnvironment (builds the image, runs one Job). The client library loads on first use.
 */
export { KubernetesJobEnvironment, type KubernetesJobEnvironmentOptions } from "./kubernetes-job-environment.js";
export {
  DockerOnKubernetesEnvironment,
  DOCKER_ON_KUBERNETES_NAMESPACE,
  type DockerOnKubernetesEnvironmentOptions,
  type DockerOnKubernetesBuildOptions,
} from "./docker-on-kubernetes-environment.js";
export { KubernetesApi, type KubernetesConnectionOptions, type CreatedJob, type PropagationPolicy } from "./kubernetes-api.js";
export { KubernetesApiError, type KubernetesStatus } from "./api-error.js";
export { buildFlowRunJob, type FlowRunJobOptions } from "./flow-run-job.js";
export { buildDockerJob, type DockerJobOptions } from "./docker-job.js";
export { compileJobSpec, loadJobSpec } from "./job-spec.js";
export { findUnknownFields, type UnknownField } from "./unknown-fields.js";
export { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL, CREATED_BY_LABEL } from "./names.js";
export type { JobManifest, Container, EnvVar, PodSpec } from "./manifest-types.js";
