/**
 * `sluice flow-run create | ls | show | logs | cancel | watch`: flow runs on the server, through the typed
 * client. Every subcommand takes --json; the server's address and key come from SLUICE__API__URL and
 * SLUICE__API__KEY (or the config file). Exit codes: 0 done, 1 the server refused or failed (unknown run,
 * unreachable server) or a watched run did not succeed, 2 bad input (naming the flag). Flags are parsed
 * here; the work is in actions/flow-run.ts, imported when a subcommand runs.
 *
 *   sluice flow-run create etl --param n=5 --label gpu --start-at +10m
 *   sluice flow-run ls --label prod --q nightly --state Failed
 *   sluice flow-run logs <id> --follow
 */
import type { Command } from "commander";
import { SluiceError, showValue } from "../../core/errors.js";
import { isStateName, type StateName } from "../../core/states.js";
import type { CreateOptions } from "../actions/flow-run.js";
import { collect } from "../options.js";
import { registerWatch } from "./flow-run-watch.js";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--start-at`: an ISO 8601 instant, or "+<n><s|m|h|d>" from now. */
export function parseStartAt(value: string, now = Date.now()): string {
  const relative = /^\+(\d+(?:\.\d+)?)([smhd])$/.exec(value.trim());
  if (relative) return new Date(now + Number(relative[1]) * UNITS[relative[2]!]!).toISOString();
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) {
    throw new SluiceError(
      "INVALID_INPUT",
      `--start-at ${showValue(value)} is not a time; give an ISO 8601 instant (2026-11-22T10:00:00Z) or a delay such as +30s, +10m, +2h`,
      {
        field: "--start-at",
        value,
      },
    );
  }
  return new Date(parsed).toISOString();
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new SluiceError("INVALID_INPUT", `--limit ${showValue(value)} must be an integer from 1 to 1000`, { field: "--limit", value });
  return n;
}

export function parseStates(value: string | undefined): StateName[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.find((n) => !isStateName(n));
  if (bad !== undefined)
    throw new SluiceError("INVALID_INPUT", `--state ${showValue(bad)} is not a state; use e.g. Running, Failed or Success (comma-separated)`, {
      field: "--state",
      value: bad,
    });
  return names as StateName[];
}

/** The longest label or text the server takes in a runs query. */
const MAX_FILTER_LENGTH = 200;

/**
 * `--label` of `flow-run ls` (repeatable, each may hold several comma-separated labels): the labels a run
 * must all have, without repeats. An empty or over-long label is bad input naming the flag.
 */
export function parseLabelFilter(values: readonly string[]): string[] | undefined {
  const labels: string[] = [];
  for (const value of values) {
    const parts = value.split(",").map((l) => l.trim());
    const bad = parts.find((l) => l.length === 0 || l.length > MAX_FILTER_LENGTH);
    if (bad !== undefined)
      throw new SluiceError(
        "INVALID_INPUT",
        `--label ${showValue(value)} holds ${bad.length === 0 ? "an empty label" : `a label longer than ${MAX_FILTER_LENGTH} characters`}; give labels such as --label prod or --label prod,gpu`,
        { field: "--label", value },
      );
    for (const label of parts) if (!labels.includes(label)) labels.push(label);
  }
  return labels.length > 0 ? labels : undefined;
}

/** `--q` of `flow-run ls`: the text trimmed; blank or over-long text is bad input naming the flag. */
export function parseTextFilter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_FILTER_LENGTH)
    throw new SluiceError(
      "INVALID_INPUT",
      `--q ${showValue(value)} must hold 1 to ${MAX_FILTER_LENGTH} characters besides spaces: the start of a run id, or part of a run's name`,
      { field: "--q", value },
    );
  return text;
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
    .action(async (flow: string, options: CreateOptions) => {
      const scheduledStart = options.startAt === undefined ? undefined : parseStartAt(options.startAt);
      const { createRun } = await import("../actions/flow-run.js");
      process.exitCode = await createRun(flow, options, scheduledStart);
    });

  flowRun
    .command("ls")
    .description("List flow runs, newest first")
    .option("--state <states>", "only runs in these states (comma-separated)")
    .option("--flow <name>", "only runs of this flow")
    .option("--label <labels>", "only runs having every one of these labels (repeatable, or comma-separated)", collect, [])
    .option("--q <text>", "only runs whose id starts with the text or whose name contains it (letters in any case)")
    .option("--limit <n>", "at most this many runs (1-1000)", "50")
    .option("--json", "print the page as JSON")
    .action(async (options: { state?: string; flow?: string; label: string[]; q?: string; limit: string; json?: boolean }) => {
      const state = parseStates(options.state);
      const label = parseLabelFilter(options.label);
      const q = parseTextFilter(options.q);
      const limit = parseLimit(options.limit);
      const { listRuns } = await import("../actions/flow-run.js");
      process.exitCode = await listRuns(
        {
          limit,
          ...(state ? { state } : {}),
          ...(options.flow === undefined ? {} : { flowName: options.flow }),
          ...(label ? { label } : {}),
          ...(q === undefined ? {} : { q }),
        },
        options.json === true,
      );
    });

  flowRun
    .command("show")
    .description("Show a flow run: its state history and its task runs")
    .argument("<id>", "the flow run's id")
    .option("--json", "print { flowRun, states, taskRuns } as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { showRun } = await import("../actions/flow-run.js");
      process.exitCode = await showRun(id, options.json === true);
    });

  flowRun
    .command("logs")
    .description("Print a flow run's logs (--follow: until the run finishes)")
    .argument("<id>", "the flow run's id")
    .option("--follow", "keep printing new lines until the run is finished")
    .option("--level <level>", "minimum level (trace, debug, info, warn, error, fatal)")
    .option("--json", "print one JSON object per line (NDJSON)")
    .action(async (id: string, options: { follow?: boolean; level?: string; json?: boolean }) => {
      const { printLogs } = await import("../actions/flow-run.js");
      process.exitCode = await printLogs(id, options);
    });

  flowRun
    .command("cancel")
    .description("Cancel a flow run: at once when it has not started, else its process is asked to stop")
    .argument("<id>", "the flow run's id")
    .option("--json", "print the run as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { cancelRun } = await import("../actions/flow-run.js");
      process.exitCode = await cancelRun(id, options.json === true);
    });

  registerWatch(flowRun);
}
