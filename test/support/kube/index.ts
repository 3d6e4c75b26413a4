/** The Kubernetes API stand-in for tests: see README.md. */
export { startKubeStandin, defaultTimings, type KubeStandin, type KubeStandinOptions, type StandinTimings } from "./standin.js";
export type { StandinHooks } from "./hooks.js";
export type { ClusterView } from "./view.js";
export { kubeTarget, targetEnv, type KubeTarget, type KubeTargetOptions, type SkippableTest } from "./target.js";
export type { DenyRule, ReceivedRequest } from "./server.js";
export type { KubeObject } from "./util.js";
export { oomAfterAnnotation } from "./kubelet/podWorker.js";
export { jobBackoffDelayMs, realJobBackoff } from "./controllers/jobController.js";
export { StatusError } from "./status.js";
