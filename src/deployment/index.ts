/**
 * What a deployed flow run tells the server (the RunReporter) and the entry of deployed runs
 * (`sluice execute flow-run`, stages deploy and run).
 */
export { RunReporter, isRetryable, type ReporterClient, type ReporterStats, type RunReporterOptions } from "./run-reporter.js";
export { RESULT_LIMIT_BYTES, RESULT_NOT_RECORDED, logForApi, resultForApi, resultRecorded, stateForApi } from "./api-state.js";
export {
  FLOW_RUN_STAGES,
  allTaskRuns,
  executeFlowRun,
  loadRegisteredFlow,
  resumableTaskRuns,
  type FlowRunEntryOptions,
  type FlowRunEntryResult,
  type FlowRunStage,
} from "./flow-run-entry.js";
