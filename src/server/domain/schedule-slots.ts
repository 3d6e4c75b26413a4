/** The slots (start instants, ms) of a cron or interval schedule, and the validation of its timing. */
import { CronExpressionParser } from "cron-parser";
import { SluiceError, showValue } from "../../core/errors.js";

export interface ScheduleTiming {
  cron: string | null;
  /** IANA zone of the cron expression (null: UTC). */
  timezone: string | null;
  intervalMs: number | null;
  /** Interval slots are anchor + k × intervalMs (ms). */
  anchor: number;
}

/** Throws INVALID_INPUT naming `cron` or `timezone` when the timing cannot produce slots. */
export function validateTiming(timing: ScheduleTiming): void {
  if (timing.timezone !== null) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timing.timezone });
    } catch {
      throw new SluiceError("INVALID_INPUT", `timezone ${showValue(timing.timezone)} is not an IANA time zone: use one such as "UTC" or "Europe/Paris"`, {
        field: "timezone",
        value: timing.timezone,
      });
    }
  }
  if (timing.cron !== null) {
    try {
      CronExpressionParser.parse(timing.cron, { tz: timing.timezone ?? "UTC", currentDate: timing.anchor }).next();
    } catch (cause) {
      throw new SluiceError(
        "INVALID_INPUT",
        `cron ${showValue(timing.cron)} is not a valid cron expression (${(cause as Error).message}); use 5 fields "minute hour day month weekday", or 6 with seconds first`,
        { field: "cron", value: timing.cron, cause },
      );
    }
  } else if (timing.intervalMs === null || timing.intervalMs <= 0) {
    throw new SluiceError("INVALID_INPUT", "a schedule needs cron or a positive intervalMs", { field: "cron" });
  }
}

/** The slots s with after < s <= until, oldest first, at most `max` of them. */
export function slotsBetween(timing: ScheduleTiming, after: number, until: number, max: number): number[] {
  const slots: number[] = [];
  if (until <= after || max <= 0) return slots;
  if (timing.cron !== null) {
    const expression = CronExpressionParser.parse(timing.cron, { tz: timing.timezone ?? "UTC", currentDate: after });
    while (slots.length < max) {
      const next = expression.next().getTime();
      if (next > until) break;
      if (next > after) slots.push(next);
    }
    return slots;
  }
  const interval = timing.intervalMs!;
  let k = after < timing.anchor ? 0 : Math.floor((after - timing.anchor) / interval) + 1;
  for (let slot = timing.anchor + k * interval; slot <= until && slots.length < max; slot = timing.anchor + ++k * interval) {
    if (slot > after) slots.push(slot);
  }
  return slots;
}
