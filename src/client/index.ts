/**
 * Sluice's typed API client: `createClient({ url, apiKey })`. The request and response types come from
 * the same zod schemas the server validates with (src/api/).
 */
export {
  createClient,
  type ClaimedFlowRun,
  type ClientOptions,
  type CreateFlowRunInput,
  type CreateScheduleInput,
  type FollowLogsOptions,
  type Health,
  type Heartbeat,
  type ListFlowRunsFilter,
  type ListFlowsFilter,
  type ListTaskRunsFilter,
  type PageFilter,
  type ReadLogsOptions,
  type RegisterAgentInput,
  type RegisterFlowInput,
  type RegisterFlowResult,
  type SluiceClient,
  type StateInput,
  type TaskRunUpdateInput,
  type UpdateScheduleInput,
} from "./client.js";
export { SluiceApiError, type ApiFieldError } from "./errors.js";
export type { RetryOptions, TransportOptions } from "./transport.js";
export type {
  Agent,
  ApiKeyInfo,
  ApiLogLevel,
  CreatedApiKey,
  Flow,
  FlowRun,
  LogInput,
  LogRecordOut as LogRecord,
  Schedule,
  SecretInfo,
  TaskRun,
  TaskRunResult,
} from "../api/index.js";
export { API_LOG_LEVELS, UNMAPPED } from "../api/index.js";
