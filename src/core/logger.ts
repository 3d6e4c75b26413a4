/**
 * Sluice's logger factory: pino writing JSON lines to stderr (stdout stays free for a command's output),
 * at a level the caller takes from the config (`logging.level`). The runner binds run context
 * (flowRunId, taskRunId, taskName, mapIndex) on every line it writes.
 *
 * pino is loaded on first need, not when Sluice is imported: a silent logger (what `sluice run` gives the
 * runner while its display shows the run) answers the logging calls itself and never loads pino.
 */
import { createRequire } from "node:module";
import type * as Pino from "pino";
import type { DestinationStream, Logger } from "pino";
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

let loaded: typeof Pino.pino | undefined;
const pinoModule = (): typeof Pino.pino => (loaded ??= (createRequire(import.meta.url)("pino") as typeof Pino).pino);

let stderr: DestinationStream | undefined;

function pinoLogger(options: CreateLoggerOptions): Logger {
  const pino = pinoModule();
  const destination = options.destination ?? (stderr ??= pino.destination({ dest: 2, sync: true }));
  const logger = pino({ level: options.level ?? "info", base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  return options.bindings ? logger.child(options.bindings) : logger;
}

const NOOP = (): void => undefined;
const LOG_METHODS = new Set<PropertyKey>(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/**
 * A silent logger that becomes a real pino logger only when something other than logging is asked of it
 * (e.g. its level is raised, or a stream is flushed). Logging calls, `level`, `isLevelEnabled` and `child`
 * are answered without pino.
 */
function silentLogger(make: () => Logger): Logger {
  let real: Logger | undefined;
  const materialize = (): Logger => (real ??= make());
  return new Proxy({} as Logger, {
    get(_target, key) {
      if (real === undefined) {
        if (LOG_METHODS.has(key)) return NOOP;
        if (key === "level") return "silent";
        if (key === "levelVal") return Infinity;
        if (key === "isLevelEnabled") return () => false;
        if (key === "child")
          return (bindings: Record<string, unknown>, options?: Pino.ChildLoggerOptions) => silentLogger(() => materialize().child(bindings, options));
      }
      const logger = materialize();
      const value: unknown = Reflect.get(logger, key, logger);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(logger) : value;
    },
    set(_target, key, value) {
      return Reflect.set(materialize(), key, value);
    },
    has(_target, key) {
      return Reflect.has(materialize(), key);
    },
  });
}

/** Creates a pino logger (stderr by default). A silent one loads pino only if it is ever made to log. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  if (options.level === "silent" && loaded === undefined) return silentLogger(() => pinoLogger(options));
  return pinoLogger(options);
}

const RANK: Record<LoggerLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/** True when a record at `level` passes the threshold `min`. */
export function levelPasses(level: LogLevel, min: LoggerLevel): boolean {
  return RANK[level] >= RANK[min];
}
