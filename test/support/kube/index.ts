/** The Kubernetes API stand-in for tests: see README.md. */
export { startKubeStandin, defaultTimings, type KubeStandin, type KubeStandinOptions, type StandinTimings } from "./standin.js";
export type { DenyRule, ReceivedRequest } from "./server.js";
export type { KubeObject } from "./util.js";
export { oomAfterAnnotation } from "./kubelet/podWorker.js";
export { StatusError } from "./status.js";
