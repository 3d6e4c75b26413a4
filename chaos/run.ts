/**
 * The fault suite: `npm run chaos [-- <scenario> ...] [--short] [--cut-ms <ms>]`.
 *
 * Runs each scenario (all by default) with real components, one after the other, and prints one table
 * row each: fault, runs, tasks, results lost, results duplicated, tasks that ran twice (expected: at-least-once
 * execution), runs in a wrong final state, resources left behind, time to settle. Exits 1 when any row is not zero lost / zero duplicated / zero wrong / nothing
 * left behind, or a scenario could not run to its end; a scenario that cannot run here is listed as
 * skipped with the reason.
 */
import { scenarios } from "./scenarios/index.js";
import type { ChaosContext, ChaosRow } from "./scenario.js";

interface Args {
  names: string[];
  short: boolean;
  cutMs: number | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { names: [], short: false, cutMs: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--short") args.short = true;
    else if (a === "--cut-ms") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 0) throw new Error(`--cut-ms is ${JSON.stringify(argv[i])}; give a whole number of ms, e.g. --cut-ms 30000`);
      args.cutMs = value;
    } else if (a.startsWith("-")) throw new Error(`unknown flag ${a}; known: --short, --cut-ms <ms>, and scenario names`);
    else args.names.push(a);
  }
  const known = scenarios.map((s) => s.name);
  const unknown = args.names.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${known.join(", ")}`);
  return args;
}

const HEADERS = ["fault", "runs", "tasks", "results lost", "duplicated", "ran twice", "runs wrong", "left behind", "settled in"];

function cells(row: ChaosRow): string[] {
  return [
    row.fault,
    String(row.runs),
    String(row.tasks),
    String(row.lost),
    String(row.duplicates),
    String(row.reruns),
    String(row.wrong),
    row.leftBehind.length === 0 ? "0" : `${row.leftBehind.length}`,
    `${(row.settleMs / 1000).toFixed(1)} s`,
  ];
}

/** A Markdown table (readable as text, pasted as is into docs/reliability.md). */
export function formatTable(rows: readonly string[][]): string {
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(HEADERS), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const selected = args.names.length === 0 ? scenarios : scenarios.filter((s) => args.names.includes(s.name));
  const scale = args.short ? "short" : "full";
  const context: ChaosContext = {
    scale,
    cutMs: args.cutMs ?? (args.short ? 5000 : 30_000),
    log: (line) => process.stderr.write(`  ${line}\n`),
  };
  const rows: string[][] = [];
  const details: string[] = [];
  let bad = false;
  for (const scenario of selected) {
    const why = await scenario.unavailable();
    if (why) {
      rows.push([`${scenario.name}: skipped (${why})`, "", "", "", "", "", "", "", ""]);
      continue;
    }
    process.stderr.write(`${scenario.name} (${scale})\n`);
    try {
      const row = await scenario.run(context);
      rows.push(cells(row));
      if (row.lost + row.duplicates + row.wrong + row.leftBehind.length > 0) bad = true;
      for (const note of [...row.notes, ...row.leftBehind.map((l) => `left behind: ${l}`)]) details.push(`${scenario.name}: ${note}`);
    } catch (error) {
      bad = true;
      rows.push([`${scenario.name}: did not finish`, "", "", "", "", "", "", "", ""]);
      details.push(`${scenario.name}: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
  process.stdout.write(`${formatTable(rows)}\n\n${details.map((d) => `- ${d}`).join("\n")}\n`);
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error)?.message ?? String(error)}\n`);
    process.exit(2);
  },
);
