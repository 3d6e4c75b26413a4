/**
 * Sluice's logger factory: pino writing JSON lines to stderr (stdout stays free for a command's output),
 * at a level the caller takes from the config (`logging.level`). The runner binds run context
 * (flowRunId, taskRunId, taskName, mapIndex) on every line it writes.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./events.js";

export type { Logger } from "pino";

/** pino's levels, as in the config's `logging.level`. */
export type LoggerLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface CreateLoggerOptions {
  /** Minimum level written. @default "info" */
  level?: LoggerLevel;
  /** Bound on every line (e.g. { component: "agent" }). @default {} */
  bindings?: Record<string, unknown>;
  /** Where lines go. @default stderr (synchronous, so lines keep their order with other output) */
  destination?: DestinationStream;
}

let stderr: DestinationStream | undefined;

/** Creates a pino logger (stderr by default). */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? (stderr ??= pino.destination({ dest: 2, sync: true }));
  const logger = pino({ level: options.level ?? "info", base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return options.bindings ? logger.child(options.bindings) : logger;
}

const RANK: Record<LoggerLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** True when a record at `level` passes the threshold `min`. */
export function levelPasses(level: LogLevel, min: LoggerLevel): boolean {
  return RANK[level] >= RANK[min];
}
