/**
 * What the package exports of the Kubernetes platform: the environment classes and the API error, each
 * from its own module, not from index.ts (which also exports the launch code): importing Sluice loads the
 * classes, and each loads the Kubernetes client when it launches.
 */
export { KubernetesJobEnvironment, type KubernetesJobEnvironmentOptions } from "./kubernetes-job-environment.js";
export { DockerOnKubernetesEnvironment, type DockerOnKubernetesEnvironmentOptions } from "./docker-on-kubernetes-environment.js";
export { KubernetesApiError } from "./api-error.js";
export { KubernetesClusterEnvironment, type KubernetesClusterEnvironmentOptions } from "./cluster/kubernetes-cluster-environment.js";
export { ClusterOnKubernetesEnvironment, type ClusterOnKubernetesEnvironmentOptions } from "./cluster/cluster-on-kubernetes-environment.js";
