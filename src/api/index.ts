/**
 * The API contract: every operation with its zod schemas. The server's routes, the typed client and the
 * OpenAPI document are all built from `apiOperations`.
 */
import { agentOperations } from "./agents.js";
import { apiKeyOperations } from "./api-keys.js";
import { flowRunOperations } from "./flow-runs.js";
import { flowOperations } from "./flows.js";
import { healthOperations } from "./health.js";
import { logOperations } from "./logs.js";
import { scheduleOperations } from "./schedules.js";
import { secretOperations } from "./secrets.js";
import { runViewOperations } from "./run-views.js";
import { taskRunOperations } from "./task-runs.js";

export const apiOperations = {
  ...healthOperations,
  ...flowOperations,
  ...flowRunOperations,
  ...taskRunOperations,
  ...runViewOperations,
  ...logOperations,
  ...agentOperations,
  ...scheduleOperations,
  ...secretOperations,
  ...apiKeyOperations,
};
export type ApiOperations = typeof apiOperations;
export type OperationId = keyof ApiOperations;

export { defineOperation, type BodyInputOf, type BodyOf, type HttpMethod, type Operation, type ParamsOf, type QueryOf, type ResponseOf } from "./operation.js";
export { ErrorBodySchema, FieldErrorSchema, IsoDate, Labels, StateInputSchema, StateNameSchema, StateSchema, type ErrorBody } from "./common.js";
export {
  FlowSchema,
  RegisterFlowBody,
  RegisterFlowResponse,
  SerializedEnvironmentSchema,
  SerializedStorageSchema,
  TaskGraphSchema,
  type Flow,
} from "./flows.js";
export { CreateFlowRunBody, FlowRunSchema, HeartbeatResponse, ListFlowRunsQuery, type FlowRun } from "./flow-runs.js";
export { TaskRunSchema, TaskRunUpdateSchema, UNMAPPED, type TaskRun, type TaskRunResult } from "./task-runs.js";
export { API_LOG_LEVELS, LogInputSchema, LogRecordSchema, type ApiLogLevel, type LogInput, type LogRecordOut } from "./logs.js";
export { AgentSchema, RegisterAgentBody, type Agent } from "./agents.js";
export { ScheduleSchema, type Schedule } from "./schedules.js";
export { SecretInfoSchema, type SecretInfo } from "./secrets.js";
export { ApiKeyInfoSchema, CreatedApiKeySchema, type ApiKeyInfo, type CreatedApiKey } from "./api-keys.js";
