/**
 * The benchmark runner: `npm run bench [-- W1 W3] [-- --json]`.
 *
 * Loads every bench/workloads/*.ts (each default-exports Workload[]), keeps those whose id is named on the
 * command line (all when none is), skips those whose `needs` service does not answer or that say they are `unavailable` (printing why), runs
 * the rest one after the other, and prints a table: metric, Sluice's figure, the baseline's figure
 * measured in the same run, their ratio and the target. `--json` prints the Measurements as JSON instead.
 * Benchmarks measure; they never assert: a missed target is printed, not failed.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { missingServices, type Service } from "../test/support/services.js";
import type { Measurement, Workload } from "./types.js";

interface WorkloadResult {
  id: string;
  title: string;
  skipped?: string;
  error?: string;
  measurements: Measurement[];
}

async function loadWorkloads(): Promise<Workload[]> {
  const dir = fileURLToPath(new URL("./workloads/", import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort();
  const all: Workload[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default?: unknown };
    if (!Array.isArray(mod.default)) throw new Error(`bench/workloads/${file} must default-export an array of Workloads`);
    all.push(...(mod.default as Workload[]));
  }
  return all;
}

const fmt = (n: number | null): string => {
  if (n === null || Number.isNaN(n)) return "-";
  const abs = Math.abs(n);
  return abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : abs >= 1 ? n.toFixed(2) : n.toFixed(3);
};

/** Sluice's figure relative to the baseline's (>1: Sluice is slower or bigger, for lower-is-better metrics). */
export function ratioOf(m: Measurement): number | null {
  if (m.baseline === null || m.baseline === 0) return null;
  return m.value / m.baseline;
}

/** The results as a text table, one row per measurement, with notes and skips after it. */
export function formatTable(results: readonly WorkloadResult[]): string {
  const header = ["metric", "Sluice", "baseline", "ratio", "target"];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const r of results) {
    if (r.skipped) notes.push(`${r.id} skipped: ${r.skipped}`);
    if (r.error) notes.push(`${r.id} FAILED: ${r.error}`);
    for (const m of r.measurements) {
      const ratio = ratioOf(m);
      rows.push([
        m.metric,
        `${fmt(m.value)} ${m.unit}`,
        m.baseline === null ? "-" : `${fmt(m.baseline)} ${m.unit}`,
        ratio === null ? "-" : `${fmt(ratio)}x`,
        m.target ?? "",
      ]);
      if (m.notes) notes.push(`${m.metric}: ${m.notes}`);
      if (m.baseline !== null) notes.push(`${m.metric}: baseline = ${m.baselineName}`);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line), "", ...notes].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  const ids = argv.filter((a) => !a.startsWith("--")).map((a) => a.toUpperCase());
  const all = await loadWorkloads();
  const unknown = ids.filter((id) => !all.some((w) => w.id.toUpperCase() === id));
  if (unknown.length > 0) {
    process.stderr.write(`unknown workload id(s): ${unknown.join(", ")}; known: ${all.map((w) => w.id).join(", ")}\n`);
    return 2;
  }
  const selected = ids.length === 0 ? all : all.filter((w) => ids.includes(w.id.toUpperCase()));
  const results: WorkloadResult[] = [];
  const started = performance.now();
  for (const w of selected) {
    const result: WorkloadResult = { id: w.id, title: w.title, measurements: [] };
    results.push(result);
    const reason = (w.needs?.length ? await missingServices(w.needs as Service[]) : null) ?? (await w.unavailable?.()) ?? null;
    if (reason) {
      result.skipped = reason;
      if (!json) process.stderr.write(`${w.id} ${w.title}: skipped (${reason})\n`);
      continue;
    }
    if (!json) process.stderr.write(`${w.id} ${w.title} ...`);
    const t0 = performance.now();
    try {
      result.measurements = await w.run();
    } catch (error) {
      result.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    }
    if (!json) process.stderr.write(result.error ? " failed\n" : ` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ node: process.version, totalSeconds: (performance.now() - started) / 1000, results }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${formatTable(results)}\n\nnode ${process.version}, ${((performance.now() - started) / 1000).toFixed(1)} s in all\n`);
  }
  return results.some((r) => r.error) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
