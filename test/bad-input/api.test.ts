/**
 * Bad requests to every API route of a real server (SQLite): wrong types, missing and unknown fields,
 * oversized and deeply nested bodies, unicode and control characters, ids that do not exist, paging limits.
 * Each row gives the request and the answer it must get: the status, the error code, a message that names
 * the field, shows the value sent and says what to do. After every request, nothing was created or changed:
 * the flows, runs, schedules, secrets, agents and the run's states are what they were.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { registerSampleFlow, sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { assertClearMessage } from "./clear-error.js";

interface Ids {
  flowId: string;
  runId: string;
  agentId: string;
  scheduleId: string;
}

interface ApiCase {
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string | ((ids: Ids) => string);
  /** A JSON body (serialized here), or the raw text of `raw`. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
  code: string;
  /** Text the message must contain to name the field. */
  field: string;
  /** Text the message must contain to show the value sent. */
  shows?: string;
}

const NOT_FOUND = "00000000-0000-4000-8000-000000000000";
const deep = (levels: number): unknown => (levels === 0 ? 1 : { a: deep(levels - 1) });

const run = (ids: Ids) => `/api/flow-runs/${ids.runId}`;

const cases: ApiCase[] = [
  // Flows
  { name: "register: body not JSON", method: "POST", path: "/api/flows", raw: "{name:", status: 400, code: "INVALID_INPUT", field: "body" },
  {
    name: "register: body as text/plain",
    method: "POST",
    path: "/api/flows",
    raw: "hi",
    contentType: "text/plain",
    status: 422,
    code: "INVALID_INPUT",
    field: "body",
    shows: '"hi"',
  },
  {
    name: "register: body as XML",
    method: "POST",
    path: "/api/flows",
    raw: "<flow/>",
    contentType: "application/xml",
    status: 415,
    code: "INVALID_INPUT",
    field: "JSON",
  },
  { name: "register: empty JSON body", method: "POST", path: "/api/flows", raw: "", status: 400, code: "INVALID_INPUT", field: "body" },
  { name: "register: body a list", method: "POST", path: "/api/flows", body: [1], status: 422, code: "INVALID_INPUT", field: "request body", shows: "[1]" },
  {
    name: "register: name missing",
    method: "POST",
    path: "/api/flows",
    body: { environment: { type: "LocalEnvironment" }, storage: { type: "ModuleStorage" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "name",
  },
  {
    name: "register: name a number",
    method: "POST",
    path: "/api/flows",
    body: { name: 5, environment: { type: "L" }, storage: { type: "M" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "name",
    shows: "5",
  },
  {
    name: "register: name too long",
    method: "POST",
    path: "/api/flows",
    body: { name: "n".repeat(201), environment: { type: "L" }, storage: { type: "M" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "name",
  },
  {
    name: "register: unknown field",
    method: "POST",
    path: "/api/flows",
    body: { name: "x", environment: { type: "L" }, storage: { type: "M" }, owner: "me" },
    status: 422,
    code: "INVALID_INPUT",
    field: "owner",
  },
  {
    name: "register: environment type empty",
    method: "POST",
    path: "/api/flows",
    body: { name: "x", environment: { type: "" }, storage: { type: "M" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "environment.type",
    shows: '""',
  },
  {
    name: "register: label empty",
    method: "POST",
    path: "/api/flows",
    body: { name: "x", environment: { type: "L", labels: [""] }, storage: { type: "M" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "environment.labels.0",
    shows: '""',
  },
  {
    name: "register: 101 labels",
    method: "POST",
    path: "/api/flows",
    body: { name: "x", environment: { type: "L", labels: Array.from({ length: 101 }, (_, i) => `l${i}`) }, storage: { type: "M" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "environment.labels",
  },
  {
    name: "register: duplicate task keys",
    method: "POST",
    path: "/api/flows",
    body: {
      name: "x",
      environment: { type: "L" },
      storage: { type: "M" },
      taskGraph: {
        tasks: [
          { key: "a", name: "a" },
          { key: "a", name: "a" },
        ],
      },
    },
    status: 422,
    code: "INVALID_INPUT",
    field: "taskGraph.tasks.1.key",
    shows: '"a"',
  },
  {
    name: "register: upstream unknown",
    method: "POST",
    path: "/api/flows",
    body: { name: "x", environment: { type: "L" }, storage: { type: "M" }, taskGraph: { tasks: [{ key: "a", name: "a", upstream: ["z"] }] } },
    status: 422,
    code: "INVALID_INPUT",
    field: "taskGraph.tasks.0.upstream.0",
    shows: '"z"',
  },
  { name: "get flow: unknown id", method: "GET", path: `/api/flows/${NOT_FOUND}`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  { name: "list flows: limit 0", method: "GET", path: "/api/flows?limit=0", status: 422, code: "INVALID_INPUT", field: "limit", shows: '"0"' },
  { name: "list flows: limit 1001", method: "GET", path: "/api/flows?limit=1001", status: 422, code: "INVALID_INPUT", field: "limit", shows: '"1001"' },
  { name: "list flows: limit a word", method: "GET", path: "/api/flows?limit=many", status: 422, code: "INVALID_INPUT", field: "limit", shows: '"many"' },
  // Flow runs
  { name: "create run: neither flowId nor flowName", method: "POST", path: "/api/flow-runs", body: {}, status: 422, code: "INVALID_INPUT", field: "flowId" },
  {
    name: "create run: both flowId and flowName",
    method: "POST",
    path: "/api/flow-runs",
    body: { flowId: "a", flowName: "b" },
    status: 422,
    code: "INVALID_INPUT",
    field: "flowId",
  },
  {
    name: "create run: unknown flow id",
    method: "POST",
    path: "/api/flow-runs",
    body: { flowId: NOT_FOUND },
    status: 404,
    code: "NOT_FOUND",
    field: NOT_FOUND,
  },
  {
    name: "create run: unknown flow name",
    method: "POST",
    path: "/api/flow-runs",
    body: { flowName: "no-such-flow\u0000\u202e" },
    status: 404,
    code: "NOT_FOUND",
    field: "no-such-flow",
  },
  {
    name: "create run: version 0",
    method: "POST",
    path: "/api/flow-runs",
    body: { flowName: "x", version: 0 },
    status: 422,
    code: "INVALID_INPUT",
    field: "version",
    shows: "0",
  },
  {
    name: "create run: parameters a list",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, parameters: [1] }),
    status: 422,
    code: "INVALID_INPUT",
    field: "parameters",
    shows: "[1]",
  },
  {
    name: "create run: parameter of the wrong type",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, parameters: { count: "three" } }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "parameters.count",
    shows: '"three"',
  },
  {
    name: "create run: parameter below its minimum",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, parameters: { count: 0 } }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "parameters.count",
    shows: "0",
  },
  {
    name: "create run: required parameter missing",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "count",
  },
  {
    name: "create run: unknown parameter",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, parameters: { count: 1, extra: true } }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "extra",
  },
  {
    name: "create run: enum parameter not allowed",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, parameters: { count: 1, mode: "warp" } }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "parameters.mode",
    shows: '"warp"',
  },
  {
    name: "create run: scheduledStart not a date",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, scheduledStart: "tomorrow" }),
    status: 422,
    code: "INVALID_INPUT",
    field: "scheduledStart",
    shows: '"tomorrow"',
  },
  {
    name: "create run: idempotencyKey empty",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, idempotencyKey: "" }),
    status: 422,
    code: "INVALID_INPUT",
    field: "idempotencyKey",
    shows: '""',
  },
  {
    name: "create run: deep nesting in parameters",
    method: "POST",
    path: "/api/flow-runs",
    body: (ids: Ids) => ({ flowId: ids.flowId, parameters: { count: 1, nested: deep(200) } }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "nested",
  },
  { name: "get run: unknown id", method: "GET", path: `/api/flow-runs/${NOT_FOUND}`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  {
    name: "list runs: unknown state",
    method: "GET",
    path: "/api/flow-runs?state=Sleeping",
    status: 422,
    code: "INVALID_INPUT",
    field: "state",
    shows: "Sleeping",
  },
  { name: "list runs: limit negative", method: "GET", path: "/api/flow-runs?limit=-5", status: 422, code: "INVALID_INPUT", field: "limit", shows: '"-5"' },
  {
    name: "list runs: cancelRequested not a boolean",
    method: "GET",
    path: "/api/flow-runs?cancelRequested=perhaps",
    status: 422,
    code: "INVALID_INPUT",
    field: "cancelRequested",
    shows: "perhaps",
  },
  {
    name: "set state: unknown state name",
    method: "POST",
    path: (ids) => `${run(ids)}/state`,
    body: { state: { name: "Sleeping" } },
    status: 422,
    code: "INVALID_INPUT",
    field: "state.name",
    shows: '"Sleeping"',
  },
  { name: "set state: state missing", method: "POST", path: (ids) => `${run(ids)}/state`, body: {}, status: 422, code: "INVALID_INPUT", field: "state" },
  {
    name: "set state: expectedVersion negative",
    method: "POST",
    path: (ids) => `${run(ids)}/state`,
    body: { state: { name: "Running" }, expectedVersion: -1 },
    status: 422,
    code: "INVALID_INPUT",
    field: "expectedVersion",
    shows: "-1",
  },
  {
    name: "set state: stale expectedVersion",
    method: "POST",
    path: (ids) => `${run(ids)}/state`,
    body: { state: { name: "Running" }, expectedVersion: 999 },
    status: 409,
    code: "CONFLICT",
    field: "999",
  },
  {
    name: "set state: attempt 0",
    method: "POST",
    path: (ids) => `${run(ids)}/state`,
    body: { state: { name: "Running", attempt: 0 } },
    status: 422,
    code: "INVALID_INPUT",
    field: "state.attempt",
    shows: "0",
  },
  {
    name: "set state: unknown run",
    method: "POST",
    path: `/api/flow-runs/${NOT_FOUND}/state`,
    body: { state: { name: "Running" } },
    status: 404,
    code: "NOT_FOUND",
    field: NOT_FOUND,
  },
  { name: "claim: agentId missing", method: "POST", path: "/api/flow-runs/claim", body: {}, status: 422, code: "INVALID_INPUT", field: "agentId" },
  {
    name: "claim: limit 101",
    method: "POST",
    path: "/api/flow-runs/claim",
    body: (ids: Ids) => ({ agentId: ids.agentId, limit: 101 }),
    status: 422,
    code: "INVALID_INPUT",
    field: "limit",
    shows: "101",
  },
  {
    name: "claim: waitMs above 25 s",
    method: "POST",
    path: "/api/flow-runs/claim",
    body: (ids: Ids) => ({ agentId: ids.agentId, waitMs: 60_000 }),
    status: 422,
    code: "INVALID_INPUT",
    field: "waitMs",
    shows: "60000",
  },
  {
    name: "claim: unknown agent",
    method: "POST",
    path: "/api/flow-runs/claim",
    body: { agentId: NOT_FOUND },
    status: 404,
    code: "NOT_FOUND",
    field: NOT_FOUND,
  },
  { name: "heartbeat: unknown run", method: "POST", path: `/api/flow-runs/${NOT_FOUND}/heartbeat`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  { name: "cancel: unknown run", method: "POST", path: `/api/flow-runs/${NOT_FOUND}/cancel`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  { name: "run states: unknown run", method: "GET", path: `/api/flow-runs/${NOT_FOUND}/states`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  { name: "graph: unknown run", method: "GET", path: `/api/flow-runs/${NOT_FOUND}/graph`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  // Task runs
  {
    name: "task run: mapIndex below -1",
    method: "PUT",
    path: (ids) => `${run(ids)}/task-runs/extract/-2`,
    body: {},
    status: 422,
    code: "INVALID_INPUT",
    field: "mapIndex",
  },
  {
    name: "task run: unknown field",
    method: "PUT",
    path: (ids) => `${run(ids)}/task-runs/extract/-1`,
    body: { result: 1 },
    status: 422,
    code: "INVALID_INPUT",
    field: "result",
  },
  {
    name: "task runs batch: empty",
    method: "POST",
    path: (ids) => `${run(ids)}/task-runs`,
    body: { updates: [] },
    status: 422,
    code: "INVALID_INPUT",
    field: "updates",
  },
  {
    name: "task runs batch: 5001 updates",
    method: "POST",
    path: (ids) => `${run(ids)}/task-runs`,
    body: { updates: Array.from({ length: 5001 }, () => ({ taskKey: "extract" })) },
    status: 422,
    code: "INVALID_INPUT",
    field: "updates",
  },
  {
    name: "task runs batch: key missing in one update",
    method: "POST",
    path: (ids) => `${run(ids)}/task-runs`,
    body: { updates: [{ taskKey: "extract" }, { mapIndex: 0 }] },
    status: 422,
    code: "INVALID_INPUT",
    field: "updates.1.taskKey",
  },
  {
    name: "task runs batch: state name wrong",
    method: "POST",
    path: (ids) => `${run(ids)}/task-runs`,
    body: { updates: [{ taskKey: "extract", state: { name: "Done" } }] },
    status: 422,
    code: "INVALID_INPUT",
    field: "updates.0.state.name",
    shows: '"Done"',
  },
  {
    name: "task runs list: limit huge",
    method: "GET",
    path: (ids) => `${run(ids)}/task-runs?limit=100000`,
    status: 422,
    code: "INVALID_INPUT",
    field: "limit",
    shows: '"100000"',
  },
  { name: "task run: unknown id", method: "GET", path: `/api/task-runs/${NOT_FOUND}`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  // Logs
  { name: "logs: empty batch", method: "POST", path: "/api/logs", body: { logs: [] }, status: 422, code: "INVALID_INPUT", field: "logs" },
  {
    name: "logs: level unknown",
    method: "POST",
    path: "/api/logs",
    body: (ids: Ids) => ({ logs: [{ flowRunId: ids.runId, level: "loud", message: "x" }] }),
    status: 422,
    code: "INVALID_INPUT",
    field: "logs.0.level",
    shows: '"loud"',
  },
  {
    name: "logs: message a number",
    method: "POST",
    path: "/api/logs",
    body: (ids: Ids) => ({ logs: [{ flowRunId: ids.runId, level: "info", message: 42 }] }),
    status: 422,
    code: "INVALID_INPUT",
    field: "logs.0.message",
    shows: "42",
  },
  {
    name: "logs: message over 100,000 characters",
    method: "POST",
    path: "/api/logs",
    body: (ids: Ids) => ({ logs: [{ flowRunId: ids.runId, level: "info", message: "x".repeat(100_001) }] }),
    status: 422,
    code: "INVALID_INPUT",
    field: "logs.0.message",
  },
  {
    name: "logs: timestamp not a date",
    method: "POST",
    path: "/api/logs",
    body: (ids: Ids) => ({ logs: [{ flowRunId: ids.runId, level: "info", message: "x", timestamp: "now" }] }),
    status: 422,
    code: "INVALID_INPUT",
    field: "logs.0.timestamp",
    shows: '"now"',
  },
  {
    name: "logs: flowRunId missing in the second line",
    method: "POST",
    path: "/api/logs",
    body: (ids: Ids) => ({
      logs: [
        { flowRunId: ids.runId, level: "info", message: "ok" },
        { level: "info", message: "x" },
      ],
    }),
    status: 422,
    code: "INVALID_INPUT",
    field: "logs.1.flowRunId",
  },
  {
    name: "logs: unknown run",
    method: "POST",
    path: "/api/logs",
    body: { logs: [{ flowRunId: NOT_FOUND, level: "info", message: "line \u0007 \u202e" }] },
    status: 404,
    code: "NOT_FOUND",
    field: NOT_FOUND,
  },
  {
    name: "read logs: cursor not a number",
    method: "GET",
    path: (ids) => `${run(ids)}/logs?after=yesterday`,
    status: 422,
    code: "INVALID_INPUT",
    field: "after",
    shows: '"yesterday"',
  },
  { name: "read logs: limit 0", method: "GET", path: (ids) => `${run(ids)}/logs?limit=0`, status: 422, code: "INVALID_INPUT", field: "limit", shows: '"0"' },
  {
    name: "read logs: level unknown",
    method: "GET",
    path: (ids) => `${run(ids)}/logs?level=loud`,
    status: 422,
    code: "INVALID_INPUT",
    field: "level",
    shows: '"loud"',
  },
  // Schedules
  {
    name: "schedule: neither cron nor intervalMs",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId }),
    status: 422,
    code: "INVALID_INPUT",
    field: "cron",
  },
  {
    name: "schedule: both cron and intervalMs",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId, cron: "* * * * *", intervalMs: 60_000 }),
    status: 422,
    code: "INVALID_INPUT",
    field: "cron",
  },
  {
    name: "schedule: interval below 1 s",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId, intervalMs: 10 }),
    status: 422,
    code: "INVALID_INPUT",
    field: "intervalMs",
    shows: "10",
  },
  {
    name: "schedule: cron that does not parse",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId, cron: "every day" }),
    status: 422,
    code: "INVALID_INPUT",
    field: "cron",
    shows: "every day",
  },
  {
    name: "schedule: unknown timezone",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId, cron: "0 * * * *", timezone: "Mars/Olympus" }),
    status: 422,
    code: "INVALID_INPUT",
    field: "timezone",
    shows: "Mars/Olympus",
  },
  {
    name: "schedule: timezone with an interval",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId, intervalMs: 60_000, timezone: "UTC" }),
    status: 422,
    code: "INVALID_INPUT",
    field: "timezone",
  },
  {
    name: "schedule: unknown flow",
    method: "POST",
    path: "/api/schedules",
    body: { flowId: NOT_FOUND, intervalMs: 60_000 },
    status: 404,
    code: "NOT_FOUND",
    field: NOT_FOUND,
  },
  {
    name: "schedule: bad parameters",
    method: "POST",
    path: "/api/schedules",
    body: (ids: Ids) => ({ flowId: ids.flowId, intervalMs: 60_000, parameters: { count: "x" } }),
    status: 422,
    code: "INVALID_PARAMETER",
    field: "parameters.count",
    shows: '"x"',
  },
  {
    name: "update schedule: active a string",
    method: "PATCH",
    path: (ids) => `/api/schedules/${ids.scheduleId}`,
    body: { active: "no" },
    status: 422,
    code: "INVALID_INPUT",
    field: "active",
    shows: '"no"',
  },
  {
    name: "update schedule: unknown id",
    method: "PATCH",
    path: `/api/schedules/${NOT_FOUND}`,
    body: { active: false },
    status: 404,
    code: "NOT_FOUND",
    field: NOT_FOUND,
  },
  { name: "delete schedule: unknown id", method: "DELETE", path: `/api/schedules/${NOT_FOUND}`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  // Secrets
  {
    name: "secret: name with a space",
    method: "PUT",
    path: "/api/secrets/db%20password",
    body: { value: "x" },
    status: 422,
    code: "INVALID_INPUT",
    field: "name",
    shows: '"db password"',
  },
  { name: "secret: value missing", method: "PUT", path: "/api/secrets/db", body: {}, status: 422, code: "INVALID_INPUT", field: "value" },
  { name: "secret: unknown field", method: "PUT", path: "/api/secrets/db", body: { value: "x", ttl: 5 }, status: 422, code: "INVALID_INPUT", field: "ttl" },
  { name: "secret: unknown name", method: "GET", path: "/api/secrets/no-such-secret", status: 404, code: "NOT_FOUND", field: "no-such-secret" },
  { name: "delete secret: unknown name", method: "DELETE", path: "/api/secrets/no-such-secret", status: 404, code: "NOT_FOUND", field: "no-such-secret" },
  // Agents and API keys
  { name: "agent: name missing", method: "POST", path: "/api/agents", body: { kind: "local" }, status: 422, code: "INVALID_INPUT", field: "name" },
  {
    name: "agent: labels a string",
    method: "POST",
    path: "/api/agents",
    body: { name: "a", kind: "local", labels: "gpu" },
    status: 422,
    code: "INVALID_INPUT",
    field: "labels",
    shows: '"gpu"',
  },
  {
    name: "agent: acceptUnlabelled a string",
    method: "POST",
    path: "/api/agents",
    body: { name: "a", kind: "local", acceptUnlabelled: "yes" },
    status: 422,
    code: "INVALID_INPUT",
    field: "acceptUnlabelled",
    shows: '"yes"',
  },
  { name: "agent heartbeat: unknown agent", method: "POST", path: `/api/agents/${NOT_FOUND}/heartbeat`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  { name: "api key: name a number", method: "POST", path: "/api/api-keys", body: { name: 3 }, status: 422, code: "INVALID_INPUT", field: "name", shows: "3" },
  { name: "revoke api key: unknown id", method: "DELETE", path: `/api/api-keys/${NOT_FOUND}`, status: 404, code: "NOT_FOUND", field: NOT_FOUND },
  // Whole requests
  { name: "unknown route", method: "GET", path: "/api/flow-rns", status: 404, code: "NOT_FOUND", field: "/api/flow-rns" },
];

/** Everything a bad request could have created or changed. */
async function snapshot(server: TestServer, ids: Ids): Promise<string> {
  const c = server.client;
  const [flows, runs, schedules, secrets, agents, states, taskRuns, logs] = await Promise.all([
    c.listFlows({ limit: 1000 }),
    c.listFlowRuns({ limit: 1000 }),
    c.listSchedules({ limit: 1000 }),
    c.listSecrets({ limit: 1000 }),
    c.listAgents({ limit: 1000 }),
    c.listFlowRunStates(ids.runId),
    c.listTaskRuns(ids.runId, { limit: 1000 }),
    c.readLogs(ids.runId, { limit: 5000 }),
  ]);
  return JSON.stringify({
    flows: flows.items.map((f) => f.id),
    runs: runs.items.map((r) => [r.id, r.version]),
    schedules: schedules.items.map((s) => [s.id, s.updatedAt]),
    secrets: secrets.items.map((s) => [s.name, s.updatedAt]),
    agents: agents.items.map((a) => a.id),
    states,
    taskRuns: taskRuns.items.map((t) => [t.id, t.version]),
    logs: logs.items.length,
  });
}

describe("bad API requests (SQLite)", { timeout: 120_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let ids: Ids;

  before(async () => {
    server = await startTestServer(target, { env: { SLUICE__SERVER__BODY_LIMIT_BYTES: String(2 * 1024 * 1024) } });
    const { flowId } = await registerSampleFlow(server.client);
    const flowRun = await server.client.createFlowRun({ flowId, parameters: { count: 1 } });
    const agent = await server.client.registerAgent({ name: "bad-input", kind: "local" });
    const schedule = await server.client.createSchedule({ flowId, intervalMs: 3_600_000, active: false, parameters: { count: 1 } });
    await server.client.setSecret("db", "value");
    ids = { flowId, runId: flowRun.id, agentId: agent.id, scheduleId: schedule.id };
  });

  after(async () => {
    await server?.close();
    await target.cleanup();
  });

  for (const c of cases)
    it(c.name, async () => {
      const before = await snapshot(server, ids);
      const path = typeof c.path === "function" ? c.path(ids) : c.path;
      const body = typeof c.body === "function" ? (c.body as (ids: Ids) => unknown)(ids) : c.body;
      const text = c.raw ?? (body === undefined ? undefined : JSON.stringify(body));
      const response = await fetch(`${server.server.url}${path}`, {
        method: c.method,
        headers: text === undefined ? {} : { "content-type": c.contentType ?? "application/json" },
        ...(text === undefined ? {} : { body: text }),
      });
      const answer = (await response.json()) as { error?: { code: string; message: string } };
      assert.equal(response.status, c.status, `${c.name}: status (${JSON.stringify(answer)})`);
      assert.ok(answer.error, `${c.name}: an error body: ${JSON.stringify(answer)}`);
      assert.equal(answer.error.code, c.code, `${c.name}: code (${answer.error.message})`);
      assertClearMessage(answer.error.message, c, c.name);
      assert.equal(await snapshot(server, ids), before, `${c.name}: nothing was created or changed`);
    });

  it("a body over the server's limit: 413 naming the limit and the setting, nothing written", async () => {
    const before = await snapshot(server, ids);
    const lines = Array.from({ length: 40 }, () => ({ flowRunId: ids.runId, level: "info", message: "y".repeat(99_000) }));
    const response = await fetch(`${server.server.url}/api/logs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ logs: lines }),
    });
    const answer = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, 413);
    assert.equal(answer.error.code, "PAYLOAD_TOO_LARGE");
    assertClearMessage(answer.error.message, { field: "SLUICE__SERVER__BODY_LIMIT_BYTES", shows: String(2 * 1024 * 1024) }, "oversized body");
    assert.equal(await snapshot(server, ids), before);
  });
});
