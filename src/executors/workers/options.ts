/** Options of the workers executor: raw → defaults → validated, once, at construction. */
import { availableParallelism } from "node:os";
import { SluiceError, showValue } from "../../core/errors.js";

export interface WorkersExecutorOptions {
  /** Worker threads in the pool. @default min(4, number of CPUs) */
  threads?: number;
  /** Attempts one thread runs at once (raise it for tasks that mostly wait on I/O). @default 1 */
  tasksPerThread?: number;
  /**
   * Attempts waiting in the pool's queue besides those running, so a thread that frees up finds work at
   * once. The runner keeps at most threads × tasksPerThread + maxQueue attempts in flight.
   * @default threads × tasksPerThread
   */
  maxQueue?: number;
  /**
   * After a cancellation, how long a running attempt gets to notice its aborted signal before its thread
   * is terminated (a CPU-bound task that never looks at the signal cannot be stopped otherwise), in ms.
   * @default 2000
   */
  cancelGraceMs?: number;
  /**
   * After a run, its pool is kept this long (idle, holding nothing on the event loop) for the next run of
   * a workers executor with the same options in this process; 0 stops the threads when the run ends.
   * @default 5000
   */
  keepAliveMs?: number;
}

export interface CompiledWorkersOptions {
  threads: number;
  tasksPerThread: number;
  maxQueue: number;
  cancelGraceMs: number;
  keepAliveMs: number;
}

function wholeNumber(field: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new SluiceError("INVALID_OPTION", `workers executor: option ${field} is ${showValue(value)}; use a whole number ≥ ${min}`, {
      field,
      value,
      kind: "workers",
    });
  }
  return value;
}

const KNOWN = ["threads", "tasksPerThread", "maxQueue", "cancelGraceMs", "keepAliveMs"];

export function compileWorkersOptions(raw: WorkersExecutorOptions = {}): CompiledWorkersOptions {
  if (typeof raw !== "object" || raw === null) {
    throw new SluiceError("INVALID_OPTION", `workers executor: options are ${showValue(raw)}; pass an object such as { threads: 2 }`, {
      field: "options",
      kind: "workers",
    });
  }
  for (const key of Object.keys(raw)) {
    if (!KNOWN.includes(key)) {
      throw new SluiceError("INVALID_OPTION", `workers executor: unknown option ${key}; known options: ${KNOWN.join(", ")}`, {
        field: key,
        value: (raw as Record<string, unknown>)[key],
        kind: "workers",
      });
    }
  }
  const threads = wholeNumber("threads", raw.threads, Math.min(4, availableParallelism()), 1);
  const tasksPerThread = wholeNumber("tasksPerThread", raw.tasksPerThread, 1, 1);
  const maxQueue = wholeNumber("maxQueue", raw.maxQueue, threads * tasksPerThread, 0);
  const cancelGraceMs = wholeNumber("cancelGraceMs", raw.cancelGraceMs, 2000, 0);
  const keepAliveMs = wholeNumber("keepAliveMs", raw.keepAliveMs, 5000, 0);
  return { threads, tasksPerThread, maxQueue, cancelGraceMs, keepAliveMs };
}
