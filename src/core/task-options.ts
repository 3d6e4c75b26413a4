/**
 * A task's run options: raw (what users write) → validated and compiled once at `task()` time
 * (what the runner reads). Every invalid option is a SluiceError INVALID_OPTION naming the task, the
 * field, the value and what is allowed.
 */
import type { z } from "zod";
import { SluiceError, showValue } from "./errors.js";
import { inputCacheKey, type CacheKeyContext, type CacheStore } from "./cache.js";
import { isTriggerName, TRIGGER_NAMES, triggers, type Trigger, type TriggerName } from "./triggers.js";

/** Caching of a task's results (see cache.ts). */
export interface CacheOptions<I = unknown> {
  /**
   * The cache key of a run's input. Two runs with equal keys share one result while it is fresh.
   * @default a SHA-256 of the input's JSON (object keys sorted)
   */
  key?: (input: I, ctx: CacheKeyContext) => string;
  /** How long a cached result stays fresh, in ms (`Infinity`: forever). Required. */
  ttlMs: number;
  /** Where entries live. @default the run's `cacheStore`, else the process-wide memory store */
  store?: CacheStore;
}

export interface TaskOptions<I = unknown> {
  /**
   * Schema of the task's argument: validates it before each attempt (a failure ends the run Failed,
   * naming the field) and gives the argument names `flow.bind` accepts. @default undefined (no validation;
   * argument names are read from a destructured first parameter, if any)
   */
  input?: z.ZodType<I>;
  /** How many times a failed attempt is retried. @default 0 */
  retries?: number;
  /** Wait before the first retry, in ms. @default 0 */
  retryDelayMs?: number;
  /** "fixed": every retry waits `retryDelayMs`; "exponential": the n-th retry waits `retryDelayMs * 2^(n-1)`. @default "fixed" */
  retryBackoff?: "fixed" | "exponential";
  /** Upper bound of a retry wait, in ms. @default Infinity */
  maxRetryDelayMs?: number;
  /** Retry attempts that timed out (otherwise TimedOut is final). @default false */
  retryOnTimeout?: boolean;
  /** End an attempt TimedOut after this many ms (its signal is aborted); null: no limit. @default null */
  timeoutMs?: number | null;
  /** When the task runs, given its upstream states: a built-in trigger name or a function. @default "allSuccessful" */
  trigger?: TriggerName | Trigger;
  /** End Skipped when any upstream run was Skipped (before the trigger is consulted). @default true */
  skipOnUpstreamSkip?: boolean;
  /** Reuse results of earlier runs with the same key. @default undefined (no caching) */
  cache?: CacheOptions<I>;
  /** Free labels, shown in graph descriptions. @default [] */
  tags?: readonly string[];
  /** What the task does, for humans. @default undefined */
  description?: string;
}

/** Task options after validation and defaults: what the runner reads. */
export interface CompiledTaskOptions {
  input: z.ZodType | undefined;
  retries: number;
  retryDelayMs: number;
  retryBackoff: "fixed" | "exponential";
  maxRetryDelayMs: number;
  retryOnTimeout: boolean;
  timeoutMs: number | null;
  trigger: Trigger;
  /** The built-in trigger's name, or "custom". */
  triggerName: TriggerName | "custom";
  skipOnUpstreamSkip: boolean;
  cache: { key: (input: unknown, ctx: CacheKeyContext) => string; ttlMs: number; store: CacheStore | undefined } | undefined;
  tags: readonly string[];
  description: string | undefined;
}

const KNOWN = new Set([
  "input",
  "retries",
  "retryDelayMs",
  "retryBackoff",
  "maxRetryDelayMs",
  "retryOnTimeout",
  "timeoutMs",
  "trigger",
  "skipOnUpstreamSkip",
  "cache",
  "tags",
  "description",
]);

function invalid(taskName: string, field: string, value: unknown, expected: string): SluiceError {
  return new SluiceError("INVALID_OPTION", `task "${taskName}": option ${field} is ${showValue(value)}; ${expected}`, {
    field,
    value,
  });
}

function nonNegativeInt(taskName: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw invalid(taskName, field, value, "use a whole number ≥ 0");
  }
  return value;
}

function nonNegativeMs(taskName: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) throw invalid(taskName, field, value, "use a number of ms ≥ 0");
  return value;
}

function bool(taskName: string, field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(taskName, field, value, "use true or false");
  return value;
}

/** Validates raw options and fills in defaults. */
export function compileTaskOptions(taskName: string, raw: TaskOptions<never> | undefined): CompiledTaskOptions {
  const o = (raw ?? {}) as unknown as TaskOptions<unknown>;
  if (typeof o !== "object" || o === null) throw invalid(taskName, "options", o, "pass an object of task options");
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalid(taskName, key, (o as Record<string, unknown>)[key], `unknown option; known options: ${[...KNOWN].join(", ")}`);
  }
  if (o.input !== undefined && (typeof o.input !== "object" || o.input === null || typeof (o.input as z.ZodType).safeParse !== "function")) {
    throw invalid(taskName, "input", o.input, "use a zod schema, e.g. z.object({ value: z.string() })");
  }
  const retryBackoff = o.retryBackoff ?? "fixed";
  if (retryBackoff !== "fixed" && retryBackoff !== "exponential") throw invalid(taskName, "retryBackoff", retryBackoff, 'use "fixed" or "exponential"');
  let timeoutMs: number | null = null;
  if (o.timeoutMs !== undefined && o.timeoutMs !== null) {
    if (typeof o.timeoutMs !== "number" || !(o.timeoutMs > 0) || !Number.isFinite(o.timeoutMs)) {
      throw invalid(taskName, "timeoutMs", o.timeoutMs, "use a number of ms > 0, or null for no limit");
    }
    timeoutMs = o.timeoutMs;
  }
  let trigger: Trigger;
  let triggerName: TriggerName | "custom";
  if (o.trigger === undefined) [trigger, triggerName] = [triggers.allSuccessful, "allSuccessful"];
  else if (typeof o.trigger === "function") [trigger, triggerName] = [o.trigger, "custom"];
  else if (isTriggerName(o.trigger)) [trigger, triggerName] = [triggers[o.trigger], o.trigger];
  else throw invalid(taskName, "trigger", o.trigger, `use one of ${TRIGGER_NAMES.join(", ")} or a function (states) => boolean`);
  let cache: CompiledTaskOptions["cache"];
  if (o.cache !== undefined) {
    const c = o.cache as CacheOptions<unknown>;
    if (typeof c !== "object" || c === null) throw invalid(taskName, "cache", c, "use { key?: (input, ctx) => string, ttlMs: number }");
    if (c.key !== undefined && typeof c.key !== "function") throw invalid(taskName, "cache.key", c.key, "use a function (input, ctx) => string");
    if (typeof c.ttlMs !== "number" || !(c.ttlMs > 0)) throw invalid(taskName, "cache.ttlMs", c.ttlMs, "use a number of ms > 0 (Infinity: never expires)");
    if (c.store !== undefined && (typeof c.store?.get !== "function" || typeof c.store?.set !== "function")) {
      throw invalid(taskName, "cache.store", c.store, "use a CacheStore (get, set, delete)");
    }
    cache = { key: c.key ?? inputCacheKey, ttlMs: c.ttlMs, store: c.store };
  }
  const tags = o.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) throw invalid(taskName, "tags", tags, "use a list of strings");
  if (o.description !== undefined && typeof o.description !== "string") throw invalid(taskName, "description", o.description, "use a string");
  return {
    input: o.input as z.ZodType | undefined,
    retries: nonNegativeInt(taskName, "retries", o.retries, 0),
    retryDelayMs: nonNegativeMs(taskName, "retryDelayMs", o.retryDelayMs, 0),
    retryBackoff,
    maxRetryDelayMs: nonNegativeMs(taskName, "maxRetryDelayMs", o.maxRetryDelayMs, Infinity),
    retryOnTimeout: bool(taskName, "retryOnTimeout", o.retryOnTimeout, false),
    timeoutMs,
    trigger,
    triggerName,
    skipOnUpstreamSkip: bool(taskName, "skipOnUpstreamSkip", o.skipOnUpstreamSkip, true),
    cache,
    tags: [...tags],
    description: o.description,
  };
}

/** The wait before retry number `retryNumber` (1 = first retry). */
export function retryDelay(options: CompiledTaskOptions, retryNumber: number): number {
  const base = options.retryBackoff === "exponential" ? options.retryDelayMs * 2 ** (retryNumber - 1) : options.retryDelayMs;
  return Math.min(base, options.maxRetryDelayMs);
}
