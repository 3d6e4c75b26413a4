/**
 * Signals: values a task throws to end its attempt on purpose.
 *
 * - `throw skip("no new files")` ends the task run Skipped (downstream tasks are skipped too, unless
 *   they set `skipOnUpstreamSkip: false`).
 * - `throw fail("bad row 12")` ends the task run Failed at once, without retries.
 * - `throw retry("rate limited", { delayMs: 5000 })` ends the attempt and asks for another one. Such
 *   attempts do not use up the task's `retries` (those count failures); at most {@link MAX_FORCED_RETRIES}
 *   of them per task run, after which a further retry signal ends the run Failed.
 *
 * Signals are recognised by a brand, not by class identity, so they work across copies of Sluice.
 */

const SIGNAL: unique symbol = Symbol.for("sluice.signal");

/** How many attempts `retry()` may add beyond a task's configured `retries`, per task run. */
export const MAX_FORCED_RETRIES = 10;

export type SignalKind = "skip" | "fail" | "retry";

/** Base class of the values a task throws to end its attempt on purpose. */
export class TaskSignal extends Error {
  readonly [SIGNAL]: SignalKind;

  constructor(kind: SignalKind, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this[SIGNAL] = kind;
  }

  get kind(): SignalKind {
    return this[SIGNAL];
  }
}

export class SkipSignal extends TaskSignal {
  constructor(message: string) {
    super("skip", message);
    this.name = "SkipSignal";
  }
}

export class FailSignal extends TaskSignal {
  constructor(message: string, options?: { cause?: unknown }) {
    super("fail", message, options);
    this.name = "FailSignal";
  }
}

export class RetrySignal extends TaskSignal {
  /** Wait this long before the next attempt; undefined: the task's retry delay. */
  readonly delayMs: number | undefined;

  constructor(message: string, options?: { delayMs?: number; cause?: unknown }) {
    super("retry", message, options);
    this.name = "RetrySignal";
    this.delayMs = options?.delayMs;
  }
}

/** Returns a signal that ends the task run Skipped: `throw skip("nothing to do")`. */
export function skip(message = "Skipped by the task"): SkipSignal {
  return new SkipSignal(message);
}

/** Returns a signal that ends the task run Failed without retrying: `throw fail("bad input")`. */
export function fail(message = "Failed by the task", options?: { cause?: unknown }): FailSignal {
  return new FailSignal(message, options);
}

/**
 * Returns a signal that asks for one more attempt: `throw retry("not ready", { delayMs: 1000 })`.
 * The delay defaults to the task's retry delay for that attempt.
 */
export function retry(message = "Retry requested by the task", options?: { delayMs?: number; cause?: unknown }): RetrySignal {
  return new RetrySignal(message, options);
}

/** The kind of a thrown signal, or undefined for anything else. */
export function signalKind(thrown: unknown): SignalKind | undefined {
  if (typeof thrown !== "object" || thrown === null) return undefined;
  const kind = (thrown as { [SIGNAL]?: unknown })[SIGNAL];
  return kind === "skip" || kind === "fail" || kind === "retry" ? kind : undefined;
}
