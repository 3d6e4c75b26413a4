/** The serialized types of the Kubernetes platform's environment kinds, by kind (what the server and agents see). */
export const KUBERNETES_ENVIRONMENT_TYPES = {
  "kubernetes-job": "KubernetesJobEnvironment",
  "docker-on-kubernetes": "DockerOnKubernetesEnvironment",
  "kubernetes-cluster": "KubernetesClusterEnvironment",
  "cluster-on-kubernetes": "ClusterOnKubernetesEnvironment",
} as const;
