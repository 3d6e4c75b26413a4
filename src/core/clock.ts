/**
 * Timestamps for states and log records. `new Date().toISOString()` costs microseconds on some machines
 * (it was ~2 µs here, several times per task run); this formats `Date.now()` with the ISO prefix of the
 * current second cached, giving the same text (e.g. "2025-01-31T12:00:00.123Z") for a fraction of that.
 */

let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** The current time as ISO 8601 UTC with milliseconds, as `new Date().toISOString()` gives it. */
export function isoNow(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
  }
  const rest = ms - second * 1000;
  return `${cachedPrefix}${rest < 10 ? "00" : rest < 100 ? "0" : ""}${rest}Z`;
}
