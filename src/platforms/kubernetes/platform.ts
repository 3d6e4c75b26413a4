/**
 * The Kubernetes platform: flow runs in Kubernetes Jobs (from the user's Job spec, or built), alone or
 * with a temporary cluster of workers; the Kubernetes agent runs stage "deploy" of each run as a Job and
 * follows the Jobs of its runs to their end. The client library (and BullMQ for the clusters) loads on
 * first use.
 */
import { definePlatform } from "../platform.js";
import { clusterOnKubernetesEnvironmentSchema, kubernetesClusterEnvironmentSchema } from "./cluster/options.js";
import { kubernetesConfig } from "./config.js";
import { dockerOnKubernetesEnvironmentSchema, kubernetesJobEnvironmentSchema } from "./environment-options.js";
import { KUBERNETES_ENVIRONMENT_TYPES } from "./environment-types.js";

export const kubernetesPlatform = definePlatform({
  name: "kubernetes",
  description: "a Kubernetes cluster: each flow run in a Job, alone or with a temporary cluster of workers",
  config: kubernetesConfig,
  environments: {
    "kubernetes-job": {
      type: KUBERNETES_ENVIRONMENT_TYPES["kubernetes-job"],
      needsImage: true,
      options: kubernetesJobEnvironmentSchema,
      load: async () => (await import("./kubernetes-job-environment.js")).KubernetesJobEnvironment,
    },
    "docker-on-kubernetes": {
      type: KUBERNETES_ENVIRONMENT_TYPES["docker-on-kubernetes"],
      options: dockerOnKubernetesEnvironmentSchema,
      load: async () => (await import("./docker-on-kubernetes-environment.js")).DockerOnKubernetesEnvironment,
    },
    "kubernetes-cluster": {
      type: KUBERNETES_ENVIRONMENT_TYPES["kubernetes-cluster"],
      needsImage: true,
      options: kubernetesClusterEnvironmentSchema,
      load: async () => (await import("./cluster/kubernetes-cluster-environment.js")).KubernetesClusterEnvironment,
    },
    "cluster-on-kubernetes": {
      type: KUBERNETES_ENVIRONMENT_TYPES["cluster-on-kubernetes"],
      options: clusterOnKubernetesEnvironmentSchema,
      load: async () => (await import("./cluster/cluster-on-kubernetes-environment.js")).ClusterOnKubernetesEnvironment,
    },
  },
  agent: {
    kind: "kubernetes",
    description: "runs each flow run as a Kubernetes Job of the flow's image, and manages the Jobs of runs",
    load: async () => (await import("./kubernetes-agent.js")).createKubernetesDeployer,
    flags: [
      { flags: "--namespace <ns>", description: 'namespace the agent creates and manages Jobs in (default: "default")', key: "kubernetes.namespace" },
      { flags: "--service-account <name>", description: "service account of the Jobs' pods", key: "kubernetes.serviceAccountName" },
      { flags: "--image-pull-secrets <a,b>", description: "image pull secrets of the Jobs' pods, comma-separated", key: "kubernetes.imagePullSecrets" },
      { flags: "--job-template <file>", description: "a batch/v1 Job YAML the agent's Jobs start from", key: "kubernetes.jobTemplate" },
      { flags: "--no-delete-finished-jobs", description: "keep Jobs after they finished", key: "kubernetes.deleteFinishedJobs" },
    ],
    launches: ["kubernetes-job", "docker-on-kubernetes", "kubernetes-cluster", "cluster-on-kubernetes"],
  },
});
