/**
 * The typed Sluice API client used by the CLI, the agents, deployed runs and the UI. Every method is one
 * API operation (see docs/api.md); errors are SluiceApiError with the server's code and field.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { isFinished, type State } from "../core/states.js";
import { apiOperations as ops } from "../api/index.js";
import type { StateInputSchema } from "../api/common.js";
import type { CreateFlowRunBody, ListFlowRunsQuery } from "../api/flow-runs.js";
import type { ListFlowsQuery, RegisterFlowBody } from "../api/flows.js";
import type { ApiLogLevel, LogInput, LogRecordOut } from "../api/logs.js";
import type { RegisterAgentBody } from "../api/agents.js";
import type { CreateScheduleBody, UpdateScheduleBody } from "../api/schedules.js";
import type { ListTaskRunsQuery, TaskRunUpdateSchema } from "../api/task-runs.js";
import type { ResponseOf } from "../api/operation.js";
import { Transport, type TransportOptions } from "./transport.js";

export type StateInput = z.input<typeof StateInputSchema>;
export type RegisterFlowInput = z.input<typeof RegisterFlowBody>;
export type CreateFlowRunInput = z.input<typeof CreateFlowRunBody>;
export type TaskRunUpdateInput = z.input<typeof TaskRunUpdateSchema>;
export type RegisterAgentInput = z.input<typeof RegisterAgentBody>;
export type CreateScheduleInput = z.input<typeof CreateScheduleBody>;
export type UpdateScheduleInput = z.input<typeof UpdateScheduleBody>;
export type ListFlowsFilter = Partial<z.output<typeof ListFlowsQuery>>;
export type ListFlowRunsFilter = Partial<z.output<typeof ListFlowRunsQuery>>;
export type ListTaskRunsFilter = Partial<z.output<typeof ListTaskRunsQuery>>;
export interface PageFilter {
  limit?: number;
  cursor?: string;
}
export interface ReadLogsOptions {
  /** A previous answer's nextCursor. */
  after?: string;
  /** Minimum level. */
  level?: ApiLogLevel;
  taskRunId?: string;
  /** @default 1000 */
  limit?: number;
}
export interface FollowLogsOptions extends Omit<ReadLogsOptions, "limit"> {
  /** Pause between polls when there is nothing new. @default 1000 */
  intervalMs?: number;
  /** Stop once the run is finished and its last lines are read. @default true */
  untilFinished?: boolean;
  signal?: AbortSignal;
}

export type ClientOptions = TransportOptions;

/** Stamps a state with the client's clock so a retried request is recognized by the server as a replay. */
const stamped = (state: StateInput | State): StateInput => ({ ...state, timestamp: state.timestamp ?? new Date().toISOString() });

export function createClient(options: ClientOptions) {
  const t = new Transport(options);
  const id = (value: string) => ({ id: value });

  const client = {
    /** The server's base URL. */
    url: options.url.replace(/\/+$/, ""),

    health: () => t.call(ops.health),
    /** The OpenAPI 3.1 document of the server. */
    openApi: () => t.call(ops.openApi),

    // Flows
    /** Registers a flow; a new version only when its content changed (`created` says which). */
    registerFlow: (input: RegisterFlowInput) => t.call(ops.registerFlow, { body: input }),
    getFlow: (flowId: string) => t.call(ops.getFlow, { params: id(flowId) }),
    listFlows: (filter: ListFlowsFilter = {}) => t.call(ops.listFlows, { query: filter }),

    // Flow runs
    /**
     * Creates a flow run. Without an idempotencyKey the client makes one, so retrying after a lost answer
     * never creates the run twice.
     */
    createFlowRun: (input: CreateFlowRunInput) =>
      t.call(ops.createFlowRun, { body: { ...input, idempotencyKey: input.idempotencyKey ?? randomUUID() }, idempotent: true }),
    getFlowRun: (flowRunId: string) => t.call(ops.getFlowRun, { params: id(flowRunId) }),
    listFlowRuns: (filter: ListFlowRunsFilter = {}) => t.call(ops.listFlowRuns, { query: filter }),
    listFlowRunStates: async (flowRunId: string) => (await t.call(ops.listFlowRunStates, { params: id(flowRunId) })).items,
    /** Changes a run's state; with `expectedVersion`, only if nobody changed it since (else CONFLICT, 409). */
    setFlowRunState: (flowRunId: string, state: StateInput | State, options: { expectedVersion?: number } = {}) =>
      t.call(ops.setFlowRunState, { params: id(flowRunId), body: { state: stamped(state), ...options } }),
    /**
     * Atomically takes due Scheduled runs that fit the agent's labels (they become Submitted). With
     * `waitMs` (at most 25,000), the server holds the call until a run is claimable or that time passed.
     */
    claimFlowRuns: async (input: { agentId: string; limit?: number; waitMs?: number }, signal?: AbortSignal) =>
      (await t.call(ops.claimFlowRuns, { body: input, signal })).items,
    /** Records that the run is alive; `cancelRequested` tells the runner to stop and report Cancelled. */
    heartbeat: (flowRunId: string) => t.call(ops.heartbeatFlowRun, { params: id(flowRunId) }),
    cancelFlowRun: (flowRunId: string) => t.call(ops.cancelFlowRun, { params: id(flowRunId) }),

    // Task runs
    /** Creates or updates one task run (map index -1 when not mapped); CONFLICT when refused. */
    setTaskRunState: (
      flowRunId: string,
      taskKey: string,
      mapIndex: number,
      state: StateInput | State,
      options: { taskName?: string; expectedVersion?: number } = {},
    ) => t.call(ops.setTaskRunState, { params: { id: flowRunId, taskKey, mapIndex }, body: { state: stamped(state), ...options } }),
    /** Creates or updates many task runs at once; each result says whether it applied. */
    setTaskRunStates: async (flowRunId: string, updates: readonly TaskRunUpdateInput[]) =>
      (
        await t.call(ops.setTaskRunStates, {
          params: id(flowRunId),
          body: { updates: updates.map((u) => (u.state ? { ...u, state: stamped(u.state) } : u)) },
        })
      ).results,
    listTaskRuns: (flowRunId: string, filter: ListTaskRunsFilter = {}) => t.call(ops.listTaskRuns, { params: id(flowRunId), query: filter }),
    getTaskRun: (taskRunId: string) => t.call(ops.getTaskRun, { params: id(taskRunId) }),
    listTaskRunStates: async (taskRunId: string) => (await t.call(ops.listTaskRunStates, { params: id(taskRunId) })).items,

    // Logs
    writeLogs: (logs: readonly LogInput[]) => t.call(ops.writeLogs, { body: { logs } }),
    readLogs: (flowRunId: string, options: ReadLogsOptions = {}) => t.call(ops.readLogs, { params: id(flowRunId), query: { ...options } }),
    /** Yields a run's log lines as they arrive (polling with the cursor), until the run is finished. */
    followLogs: (flowRunId: string, options: FollowLogsOptions = {}) => followLogs(client, flowRunId, options),

    // Agents
    /** Registers an agent (the same name updates the same agent). */
    registerAgent: (input: RegisterAgentInput) => t.call(ops.registerAgent, { body: input }),
    getAgent: (agentId: string) => t.call(ops.getAgent, { params: id(agentId) }),
    listAgents: (filter: PageFilter = {}) => t.call(ops.listAgents, { query: { ...filter } }),
    agentHeartbeat: (agentId: string) => t.call(ops.agentHeartbeat, { params: id(agentId) }),

    // Schedules
    createSchedule: (input: CreateScheduleInput) => t.call(ops.createSchedule, { body: input }),
    getSchedule: (scheduleId: string) => t.call(ops.getSchedule, { params: id(scheduleId) }),
    listSchedules: (filter: PageFilter & { flowId?: string } = {}) => t.call(ops.listSchedules, { query: { ...filter } }),
    updateSchedule: (scheduleId: string, changes: UpdateScheduleInput) => t.call(ops.updateSchedule, { params: id(scheduleId), body: changes }),
    deleteSchedule: (scheduleId: string) => t.call(ops.deleteSchedule, { params: id(scheduleId) }),

    // Secrets
    /** Stores any JSON value under `name` (encrypted at rest). */
    setSecret: (name: string, value: unknown) => t.call(ops.setSecret, { params: { name }, body: { value } }),
    /** The value of a secret. */
    getSecret: async (name: string): Promise<unknown> => (await t.call(ops.getSecret, { params: { name } })).value,
    /** Names and dates, never values. */
    listSecrets: (filter: PageFilter = {}) => t.call(ops.listSecrets, { query: { ...filter } }),
    deleteSecret: (name: string) => t.call(ops.deleteSecret, { params: { name } }),

    // API keys
    /** Creates a key: `key` is in this answer only. */
    createApiKey: (name: string) => t.call(ops.createApiKey, { body: { name } }),
    listApiKeys: (filter: PageFilter = {}) => t.call(ops.listApiKeys, { query: { ...filter } }),
    revokeApiKey: (apiKeyId: string) => t.call(ops.revokeApiKey, { params: id(apiKeyId) }),
  };
  return client;
}

export type SluiceClient = ReturnType<typeof createClient>;
export type Health = ResponseOf<typeof ops.health>;
export type RegisterFlowResult = ResponseOf<typeof ops.registerFlow>;
export type ClaimedFlowRun = Awaited<ReturnType<SluiceClient["claimFlowRuns"]>>[number];
export type Heartbeat = ResponseOf<typeof ops.heartbeatFlowRun>;

const pause = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

async function* followLogs(
  client: { readLogs: SluiceClient["readLogs"]; getFlowRun: SluiceClient["getFlowRun"] },
  flowRunId: string,
  options: FollowLogsOptions,
): AsyncGenerator<LogRecordOut> {
  const { intervalMs = 1000, untilFinished = true, signal, ...read } = options;
  let after = read.after;
  let finished = false;
  while (!signal?.aborted) {
    const page = await client.readLogs(flowRunId, { ...read, ...(after === undefined ? {} : { after }), limit: 1000 });
    for (const line of page.items) yield line;
    after = page.nextCursor;
    if (page.items.length === 1000) continue;
    if (finished) return; // the run had finished before this read: nothing more will come
    if (untilFinished && isFinished((await client.getFlowRun(flowRunId)).state.name)) {
      finished = true;
      continue;
    }
    await pause(intervalMs, signal);
  }
}
