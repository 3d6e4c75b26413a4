/**
 * Worker-cluster environments on Kubernetes: KubernetesClusterEnvironment (a flow's image and a
 * temporary worker cluster) and ClusterOnKubernetesEnvironment (the same, building its image itself).
 * The Kubernetes client and BullMQ load on first use.
 */
export { KubernetesClusterEnvironment, type KubernetesClusterEnvironmentOptions } from "./kubernetes-cluster-environment.js";
export { ClusterOnKubernetesEnvironment, type ClusterOnKubernetesEnvironmentOptions } from "./cluster-on-kubernetes-environment.js";
export type { ClusterRunOptions } from "./cluster-run.js";
export { desiredWorkers, planScaling, type ScalingSettings, type QueueLoad, type WorkerPodView, type ScalingPlan } from "./scaling-policy.js";
export { buildSchedulerJob, type SchedulerJobOptions } from "./scheduler-job.js";
export { buildWorkerPod, brokerEnv, type WorkerPodOptions, type BrokerAccess, type OwnerReference } from "./worker-pod.js";
export { compilePodSpec, loadPodSpec, type PodManifest } from "./pod-spec.js";
export { CLUSTER_ROLE_LABEL, schedulerJobName } from "./cluster-names.js";
