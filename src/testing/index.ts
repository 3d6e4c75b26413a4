/**
 * `sluice/testing`: the conformance suites Sluice's own kinds pass, for those who write their own. Each
 * suite declares node:test tests; call it from a test file with the kind under test.
 *
 * ```ts
 * import { runEnvironmentConformance } from "sluice/testing";
 * runEnvironmentConformance("my-kind", { type: "MyEnvironment", create: (options) => new MyEnvironment(options) });
 * ```
 */
export { CountingExecutor, runEnvironmentConformance, type EnvironmentConformanceOptions } from "./environment-suite.js";
export { claimedRun, runDeployerConformance, type DeployerConformanceOptions } from "./deployer-suite.js";
export { runStorageConformance, type StorageConformanceOptions } from "./storage-suite.js";
