/**
 * Sluice's public API. Every export is listed by name; internals stay unexported.
 */

// Flows and tasks
export { flow, Flow, isFlow, type AnyFlow, type FlowDescription, type RunArgs } from "./core/flow.js";
export { task, isTask, type Task, type AnyTask, type TaskFn } from "./core/task.js";
export type { TaskOptions, CacheOptions, CompiledTaskOptions } from "./core/task-options.js";
export type { TaskContext, TaskLogger } from "./core/task-context.js";
export { unmapped, isRef, isUnmapped } from "./core/ref.js";
export type { Ref, Unmapped, Bindable, FieldValue, MapInput, MapField, CallArgs, Resolved, ParameterRefs } from "./core/ref.js";
export type { NodeSelector, ParametersSchema } from "./core/graph.js";
export type { TaskDescription } from "./core/graph-plan.js";
export type {
  FlowOptions,
  FlowRunOptions,
  FlowRunResult,
  TaskRunSummary,
  ResumedTaskRun,
  ExecutorSpec,
  FlowEnvironment,
  FlowStorage,
} from "./core/flow-options.js";

// Signals and triggers
export { skip, fail, retry, signalKind, TaskSignal, SkipSignal, FailSignal, RetrySignal, MAX_FORCED_RETRIES, type SignalKind } from "./core/signals.js";
export { triggers, TRIGGER_NAMES, isTriggerName, type Trigger, type TriggerName } from "./core/triggers.js";

// States, events, errors
export {
  STATE_NAMES,
  FINISHED_STATES,
  FAILED_STATES,
  SUCCESSFUL_STATES,
  makeState,
  isFinished,
  isFailed,
  isSuccessful,
  isStateName,
  type State,
  type StateName,
} from "./core/states.js";
export type { RunEvent, RunObserver, LogRecord, LogLevel } from "./core/events.js";
export { SluiceError, serializeError, deserializeError, showValue, type ErrorCode, type SerializedError, type SluiceErrorContext } from "./core/errors.js";

// Caching and logging
export { MemoryCacheStore, defaultCacheStore, inputCacheKey, type CacheStore, type CacheEntry, type CacheKeyContext } from "./core/cache.js";
export { FileCacheStore } from "./core/file-cache-store.js";
export { createLogger, type CreateLoggerOptions, type LoggerLevel, type Logger } from "./core/logger.js";

// Executors
export {
  isExecutor,
  type Executor,
  type ExecutorSession,
  type ExecutorStartOptions,
  type TaskRunRequest,
  type TaskAttemptOutcome,
  type RunnableFlow,
  type FlowLocator,
  type JsonValue,
  type JsonObject,
} from "./core/executor.js";
export { LocalExecutor } from "./executors/local/index.js";
export { ConcurrentExecutor, type ConcurrentExecutorOptions } from "./executors/concurrent/index.js";
export { executorFromKind, executorKinds, registerExecutorKind, type ExecutorFactory } from "./executors/registry.js";

// Environments (WHERE a flow run happens) and storage (WHERE its code lives)
export {
  Environment,
  SerializedEnvironmentStandIn,
  deserializeEnvironment,
  launchesFromImage,
  type ImageTarget,
  type LaunchesFromImage,
  type EnvironmentOptions,
  type EnvironmentHook,
  type EnvironmentFlow,
  type EnvironmentRunOptions,
  type ExecuteOptions,
  type ExecuteResult,
  type SerializedEnvironment,
  type SerializedScalar,
} from "./core/environment.js";
export {
  isStorage,
  type Storage,
  type StorableFlow,
  type SerializedStorage,
  type StorageBuildOptions,
  type BuildOutput,
  type BuildProgress,
} from "./core/storage.js";
export { SLUICE_VERSION } from "./core/version.js";
export { LocalEnvironment, type LocalEnvironmentOptions } from "./platforms/local/index.js";
// Each platform's public.ts exports its classes without their launch code: importing Sluice loads the
// classes, and each loads its SDK and launch code when it runs.
export { DockerEnvironment, type DockerEnvironmentOptions } from "./platforms/docker/public.js";
export {
  KubernetesJobEnvironment,
  DockerOnKubernetesEnvironment,
  KubernetesApiError,
  KubernetesClusterEnvironment,
  ClusterOnKubernetesEnvironment,
  type KubernetesJobEnvironmentOptions,
  type DockerOnKubernetesEnvironmentOptions,
  type KubernetesClusterEnvironmentOptions,
  type ClusterOnKubernetesEnvironmentOptions,
} from "./platforms/kubernetes/public.js";
export {
  CloudClusterEnvironment,
  FargateTaskEnvironment,
  type CloudClusterEnvironmentOptions,
  type FargateTaskEnvironmentOptions,
} from "./platforms/aws/public.js";
export { createEnvironment, environmentKinds, registerEnvironmentKind, type EnvironmentKind } from "./platforms/environment-registry.js";
export { runContractEnv, RUN_CONTRACT_VARIABLES, type RunContractInput, type RunContractVariable } from "./deployment/contract.js";
export { LocalStorage, type LocalStorageOptions } from "./storage/local/index.js";
export { ModuleStorage, type ModuleStorageOptions } from "./storage/module/index.js";
export { DockerStorage } from "./storage/docker/docker-storage.js";
export type { DockerStorageOptions } from "./storage/docker/options.js";
export { createStorage, deserializeStorage, storageKinds, registerStorageKind, type StorageKind } from "./storage/registry.js";
