/**
 * What the `sluice flow-run` subcommands do (flags are defined and parsed in commands/flow-run.ts): calls
 * of the server's API through the typed client, printed as tables or JSON.
 */
import type { ApiLogLevel, FlowRun, ListFlowRunsFilter, LogRecord } from "../../client/index.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { API_LOG_LEVELS } from "../../api/logs.js";
import { allTaskRuns, connect } from "../api.js";
import { EXIT, printJson, printLines, table, when } from "../output.js";
import { collectParameters } from "../params.js";

/** The fields of `flow-run create`, as given on the command line. */
export interface CreateOptions {
  version?: string;
  param: string[];
  paramsFile?: string;
  label: string[];
  startAt?: string;
  name?: string;
  idempotencyKey?: string;
  json?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseLevel(value: string | undefined): ApiLogLevel | undefined {
  if (value === undefined) return undefined;
  if (!(API_LOG_LEVELS as readonly string[]).includes(value)) {
    throw new SluiceError("INVALID_INPUT", `--level ${showValue(value)} is not a log level; use one of ${API_LOG_LEVELS.join(", ")}`, {
      field: "--level",
      value,
    });
  }
  return value as ApiLogLevel;
}

const runRow = (r: FlowRun): string[] => [
  r.id,
  r.flowName,
  `v${r.flowVersion}`,
  r.state.name,
  when(r.scheduledStart),
  r.labels.join(",") || "-",
  r.state.message ?? "",
];

/** One log line for humans. */
export function formatLog(record: LogRecord): string {
  const task =
    record.fields?.taskName === undefined
      ? ""
      : ` [${String(record.fields.taskName)}${record.fields.mapIndex === undefined ? "" : `[${String(record.fields.mapIndex)}]`}]`;
  return `${record.timestamp.slice(11, 23)} ${record.level.toUpperCase().padEnd(5)}${task} ${record.message}`;
}

/** `flow-run create`: `scheduledStart` is --start-at already parsed (an ISO instant). */
export async function createRun(flow: string, options: CreateOptions, scheduledStart: string | undefined): Promise<number> {
  const parameters = await collectParameters(options);
  let version: number | undefined;
  if (options.version !== undefined) {
    version = Number(options.version);
    if (!Number.isInteger(version) || version < 1)
      throw new SluiceError("INVALID_INPUT", `--version ${showValue(options.version)} must be an integer ≥ 1`, { field: "--version" });
  }
  const byId = UUID.test(flow) && version === undefined;
  const { client } = connect();
  const run = await client.createFlowRun({
    ...(byId ? { flowId: flow } : { flowName: flow }),
    ...(version === undefined ? {} : { version }),
    parameters,
    ...(options.label.length > 0 ? { labels: options.label } : {}),
    ...(scheduledStart === undefined ? {} : { scheduledStart }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
  });
  if (options.json) printJson(run);
  else process.stdout.write(`Created flow run ${run.id} of ${run.flowName} v${run.flowVersion}: ${run.state.name}, due ${when(run.scheduledStart)}\n`);
  return EXIT.ok;
}

/**
 * `flow-run ls`, with its flags already parsed. The server filters (the same query as the web UI's runs
 * list), so `limit` counts matching runs.
 */
export async function listRuns(query: ListFlowRunsFilter & { limit: number }, json: boolean): Promise<number> {
  const { client } = connect();
  const page = await client.listFlowRuns(query);
  if (json) printJson(page);
  else if (page.items.length === 0) process.stdout.write("no flow runs\n");
  else printLines(table(["ID", "FLOW", "VERSION", "STATE", "DUE", "LABELS", "MESSAGE"], page.items.map(runRow)));
  return EXIT.ok;
}

/** `flow-run show`: the run, its state history and its task runs. */
export async function showRun(id: string, json: boolean): Promise<number> {
  const { client } = connect();
  const [run, states, taskRuns] = await Promise.all([client.getFlowRun(id), client.listFlowRunStates(id), allTaskRuns(client, id)]);
  if (json) {
    printJson({ flowRun: run, states, taskRuns });
    return EXIT.ok;
  }
  printLines([
    `Flow run ${run.id}${run.name ? ` (${run.name})` : ""}: ${run.flowName} v${run.flowVersion}`,
    `  state       ${run.state.name}${run.state.message ? `: ${run.state.message}` : ""}`,
    `  parameters  ${JSON.stringify(run.parameters)}`,
    `  labels      ${run.labels.join(", ") || "-"}`,
    `  due         ${when(run.scheduledStart)}   started ${when(run.startedAt)}   ended ${when(run.endedAt)}`,
    `  agent       ${run.agentId ?? "-"}   heartbeat ${when(run.heartbeatAt)}${run.cancelRequested ? "   cancel requested" : ""}`,
    "",
    "States:",
    ...states.map((s) => `  ${when(s.timestamp)}  ${s.name}${s.message ? `: ${s.message.split("\n")[0]}` : ""}`),
    "",
    `Task runs (${taskRuns.length}):`,
    ...table(
      ["  TASK", "STATE", "ATTEMPTS", "STARTED", "ENDED", "MESSAGE"],
      taskRuns.map((t) => [
        `  ${t.mapIndex < 0 ? t.taskKey : `${t.taskKey}[${t.mapIndex}]`}`,
        t.state.name,
        String(t.attempts),
        when(t.startedAt),
        when(t.endedAt),
        (t.state.error?.message ?? t.state.message ?? "").split("\n")[0]!,
      ]),
    ),
  ]);
  return EXIT.ok;
}

/** `flow-run logs [--follow] [--level l] [--json]`: exit 0, or 130 when Ctrl-C stops `--follow`. */
export async function printLogs(id: string, options: { follow?: boolean; level?: string; json?: boolean }): Promise<number> {
  const level = parseLevel(options.level);
  const { client } = connect();
  const print = (record: LogRecord): void => void process.stdout.write(`${options.json ? JSON.stringify(record) : formatLog(record)}\n`);
  if (options.follow) {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once("SIGINT", stop);
    try {
      for await (const record of client.followLogs(id, { signal: controller.signal, ...(level ? { level } : {}) })) print(record);
    } finally {
      process.removeListener("SIGINT", stop);
    }
    // Stopped by Ctrl-C before the run finished: 130, as `sluice run` and `flow-run watch` (the run goes on).
    if (controller.signal.aborted) return 130;
  } else {
    let after: string | undefined;
    for (;;) {
      const page = await client.readLogs(id, { limit: 5000, ...(level ? { level } : {}), ...(after === undefined ? {} : { after }) });
      page.items.forEach(print);
      if (page.items.length < 5000) break;
      after = page.nextCursor;
    }
  }
  return EXIT.ok;
}

/** `flow-run cancel`. */
export async function cancelRun(id: string, json: boolean): Promise<number> {
  const { client } = connect();
  const run = await client.cancelFlowRun(id);
  if (json) printJson(run);
  else if (run.state.name === "Cancelled") process.stdout.write(`Flow run ${id} is Cancelled\n`);
  else process.stdout.write(`Flow run ${id} (${run.state.name}) was asked to cancel; its process stops within seconds\n`);
  return EXIT.ok;
}
