/**
 * Timestamps for states and log records. `new Date().toISOString()` costs microseconds on some machines
 * (it was ~2 µs here, several times per task run), so the text of the current millisecond is made once
 * and handed to every caller in that millisecond: a busy run formats a date at most once per ms, and the
 * states made within one ms share one flat string instead of each holding its own (a million task runs'
 * final states keep only a few thousand timestamp strings alive).
 */

let cachedMs = Number.NaN;
let cachedIso = "";

/** The current time as ISO 8601 UTC with milliseconds, as `new Date().toISOString()` gives it. */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedIso = new Date(ms).toISOString();
  }
  return cachedIso;
}
