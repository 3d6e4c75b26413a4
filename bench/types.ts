/**
 * The benchmark harness contract. Each file in bench/workloads/ default-exports an array of Workloads;
 * bench/run.ts runs them (optionally filtered by name) and prints each figure next to its baseline,
 * measured in the same run, as a ratio. Benchmarks measure; they never assert.
 */
export interface Measurement {
  /** What was measured, e.g. "W1 chain of 1,000 no-op tasks (local)". */
  metric: string;
  /** Unit of `value` and `baseline`, e.g. "ms", "µs/task", "tasks/s", "MB". */
  unit: string;
  /** Sluice's figure. */
  value: number;
  /** The baseline's figure, measured in the same run; null when the workload has no baseline (then say why in notes). */
  baseline: number | null;
  /** What the baseline is, e.g. "plain async calls, same topology". */
  baselineName: string;
  /** true when a larger value is better (throughput), false for times and sizes. */
  higherIsBetter: boolean;
  /** Target from the issue, e.g. "≤ 20 µs/task overhead", printed beside the figure. */
  target?: string;
  notes?: string;
}

export interface Workload {
  /** Short id used to filter: `npm run bench -- W1 W3`. */
  id: string;
  title: string;
  /** Services the workload needs; it is skipped with the reason when one is missing. */
  needs?: ("docker" | "redis" | "postgres" | "chromium")[];
  /**
   * Why the workload cannot run here besides a missing service (e.g. data files it reads at run time), or
   * null when it can; a reason skips it like a missing service, printed. @default undefined (nothing else needed)
   */
  unavailable?: () => string | null | Promise<string | null>;
  run(): Promise<Measurement[]>;
}
