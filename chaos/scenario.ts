/**
 * The contract of a fault scenario: it runs real components, injects one fault in the middle of real
 * work, waits until everything settled, and reports one row. A scenario is one file in chaos/scenarios/
 * listed in chaos/scenarios/index.ts.
 */

/** How hard a scenario pushes: "short" is the subset `npm test` runs, "full" is `npm run chaos`. */
export type ChaosScale = "short" | "full";

export interface ChaosContext {
  scale: ChaosScale;
  /** How long a network cut lasts, in ms. @default 30000 (full), 5000 (short) */
  cutMs: number;
  /** Progress lines (stderr in the runner, nothing in tests). */
  log(line: string): void;
}

/** One line of the table. Every count is what the scenario observed, not what it expected. */
export interface ChaosRow {
  /** The fault, in a few words. */
  fault: string;
  /** Flow runs started. */
  runs: number;
  /** Task runs those flow runs had to complete. */
  tasks: number;
  /** Task runs whose result never reached the flow run. */
  lost: number;
  /** Task runs whose result reached the flow run more than once. */
  duplicates: number;
  /** Task runs that started more than once (taken over, queued again): at-least-once execution at work. */
  reruns: number;
  /** Flow runs whose final state or value was not the one expected. */
  wrong: number;
  /** Processes, Redis keys, containers, files still there after the scenario cleaned up (one line each). */
  leftBehind: string[];
  /** From the fault's injection until every run ended and its resources were gone, in ms. */
  settleMs: number;
  /** What else was seen (attempts run again, recoveries, the reason of a wrong run). */
  notes: string[];
}

export interface ChaosScenario {
  /** Short id, used on the command line (`npm run chaos -- redis-restart`). */
  name: string;
  /** Why it cannot run on this machine (a missing binary or service), or null. */
  unavailable(): Promise<string | null>;
  run(context: ChaosContext): Promise<ChaosRow>;
}
