/**
 * `sluice flow-run create | ls | show | logs | cancel | watch`: flow runs on the server, through the typed
 * client. Every subcommand takes --json; the server's address and key come from SLUICE__API__URL and
 * SLUICE__API__KEY (or the config file). Exit codes: 0 done, 1 the server refused or failed (unknown run,
 * unreachable server) or a watched run did not succeed, 2 bad input (naming the flag).
 *
 *   sluice flow-run create etl --param n=5 --label gpu --start-at +10m
 *   sluice flow-run logs <id> --follow
 */
import type { Command } from "commander";
import type { ApiLogLevel, FlowRun, LogRecord } from "../../client/index.js";
import { API_LOG_LEVELS } from "../../server/api/logs.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { isStateName, type StateName } from "../../core/states.js";
import { allTaskRuns, collect, connect, printLines, table, when } from "../api.js";
import { EXIT, printJson } from "../output.js";
import { collectParameters } from "../params.js";
import { registerWatch } from "./flow-run-watch.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--start-at`: an ISO 8601 instant, or "+<n><s|m|h|d>" from now. */
export function parseStartAt(value: string, now = Date.now()): string {
  const relative = /^\+(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (relative) return new Date(now + Number(relative[1]) * UNITS[relative[2]!]!).toISOString();
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) {
    throw new SluiceError("INVALID_INPUT", `--start-at ${showValue(value)} is not a time; give an ISO 8601 instant (2026-11-22T10:00:00Z) or a delay such as +30s, +10m, +2h`, {
      field: "--start-at",
      value,
    });
  }
  return new Date(parsed).toISOString();
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new SluiceError("INVALID_INPUT", `--limit ${showValue(value)} must be an integer from 1 to 1000`, { field: "--limit", value });
  return n;
}

function parseStates(value: string | undefined): StateName[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = names.find((n) => !isStateName(n));
  if (bad !== undefined) throw new SluiceError("INVALID_INPUT", `--state ${showValue(bad)} is not a state; use e.g. Running, Failed or Success (comma-separated)`, { field: "--state", value: bad });
  return names as StateName[];
}

function parseLevel(value: string | undefined): ApiLogLevel | undefined {
  if (value === undefined) return undefined;
  if (!(API_LOG_LEVELS as readonly string[]).includes(value)) {
    throw new SluiceError("INVALID_INPUT", `--level ${showValue(value)} is not a log level; use one of ${API_LOG_LEVELS.join(", ")}`, { field: "--level", value });
  }
  return value as ApiLogLevel;
}

const runRow = (r: FlowRun): string[] => [r.id, r.flowName, `v${r.flowVersion}`, r.state.name, when(r.scheduledStart), r.labels.join(",") || "-", r.state.message ?? ""];

/** One log line for humans. */
export function formatLog(record: LogRecord): string {
  const task = record.fields?.taskName === undefined ? "" : ` [${String(record.fields.taskName)}${record.fields.mapIndex === undefined ? "" : `[${String(record.fields.mapIndex)}]`}]`;
  return `${record.timestamp.slice(11, 23)} ${record.level.toUpperCase().padEnd(5)}${task} ${record.message}`;
}

export function register(program: Command): void {
  const flowRun = program.command("flow-run").description("Create, list, inspect, follow and cancel flow runs on the server");

  flowRun
    .command("create")
    .description("Create a flow run of a registered flow (its latest version unless --version)")
    .argument("<flow>", "the flow's name (or a flow version's id)")
    .option("--version <n>", "the flow version to run")
    .option("--param <name=value>", "a parameter; JSON when it parses, else a string (repeatable)", collect, [])
    .option("--params-file <file>", "a JSON file holding an object of parameters (--param values win)")
    .option("--label <label>", "a label of the run (repeatable; default: the flow's labels)", collect, [])
    .option("--start-at <time>", "when the run becomes due: ISO 8601, or +30s, +10m, +2h (default: now)")
    .option("--name <name>", "a display name")
    .option("--idempotency-key <key>", "a second create with the same key returns the first run")
    .option("--json", "print the run as JSON")
    .action(async (flow: string, options: { version?: string; param: string[]; paramsFile?: string; label: string[]; startAt?: string; name?: string; idempotencyKey?: string; json?: boolean }) => {
      const parameters = await collectParameters(options);
      let version: number | undefined;
      if (options.version !== undefined) {
        version = Number(options.version);
        if (!Number.isInteger(version) || version < 1) throw new SluiceError("INVALID_INPUT", `--version ${showValue(options.version)} must be an integer ≥ 1`, { field: "--version" });
      }
      const byId = UUID.test(flow) && version === undefined;
      const { client } = connect();
      const run = await client.createFlowRun({
        ...(byId ? { flowId: flow } : { flowName: flow }),
        ...(version === undefined ? {} : { version }),
        parameters,
        ...(options.label.length > 0 ? { labels: options.label } : {}),
        ...(options.startAt === undefined ? {} : { scheduledStart: parseStartAt(options.startAt) }),
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      });
      if (options.json) printJson(run);
      else process.stdout.write(`Created flow run ${run.id} of ${run.flowName} v${run.flowVersion}: ${run.state.name}, due ${when(run.scheduledStart)}\n`);
      process.exitCode = EXIT.ok;
    });

  flowRun
    .command("ls")
    .description("List flow runs, newest first")
    .option("--state <states>", "only runs in these states (comma-separated)")
    .option("--flow <name>", "only runs of this flow")
    .option("--limit <n>", "at most this many runs (1-1000)", "50")
    .option("--json", "print the page as JSON")
    .action(async (options: { state?: string; flow?: string; limit: string; json?: boolean }) => {
      const state = parseStates(options.state);
      const limit = parseLimit(options.limit);
      const { client } = connect();
      const page = await client.listFlowRuns({ limit, ...(state ? { state } : {}), ...(options.flow === undefined ? {} : { flowName: options.flow }) });
      if (options.json) printJson(page);
      else if (page.items.length === 0) process.stdout.write("no flow runs\n");
      else printLines(table(["ID", "FLOW", "VERSION", "STATE", "DUE", "LABELS", "MESSAGE"], page.items.map(runRow)));
      process.exitCode = EXIT.ok;
    });

  flowRun
    .command("show")
    .description("Show a flow run: its state history and its task runs")
    .argument("<id>", "the flow run's id")
    .option("--json", "print { flowRun, states, taskRuns } as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { client } = connect();
      const [run, states, taskRuns] = await Promise.all([client.getFlowRun(id), client.listFlowRunStates(id), allTaskRuns(client, id)]);
      if (options.json) {
        printJson({ flowRun: run, states, taskRuns });
      } else {
        const lines = [
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
        ];
        printLines(lines);
      }
      process.exitCode = EXIT.ok;
    });

  flowRun
    .command("logs")
    .description("Print a flow run's logs (--follow: until the run finishes)")
    .argument("<id>", "the flow run's id")
    .option("--follow", "keep printing new lines until the run is finished")
    .option("--level <level>", `minimum level (${API_LOG_LEVELS.join(", ")})`)
    .option("--json", "print one JSON object per line (NDJSON)")
    .action(async (id: string, options: { follow?: boolean; level?: string; json?: boolean }) => {
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
      } else {
        let after: string | undefined;
        for (;;) {
          const page = await client.readLogs(id, { limit: 5000, ...(level ? { level } : {}), ...(after === undefined ? {} : { after }) });
          page.items.forEach(print);
          if (page.items.length < 5000) break;
          after = page.nextCursor;
        }
      }
      process.exitCode = EXIT.ok;
    });

  flowRun
    .command("cancel")
    .description("Cancel a flow run: at once when it has not started, else its process is asked to stop")
    .argument("<id>", "the flow run's id")
    .option("--json", "print the run as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { client } = connect();
      const run = await client.cancelFlowRun(id);
      if (options.json) printJson(run);
      else if (run.state.name === "Cancelled") process.stdout.write(`Flow run ${id} is Cancelled\n`);
      else process.stdout.write(`Flow run ${id} (${run.state.name}) was asked to cancel; its process stops within seconds\n`);
      process.exitCode = EXIT.ok;
    });

  registerWatch(flowRun);
}
