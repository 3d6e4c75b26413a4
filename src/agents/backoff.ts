/**
 * The agent's poll pacing, as a pure function: short after a poll that found work (there may be more),
 * doubling while idle up to the maximum, so an idle agent costs the server one request every ~10 s and
 * a busy one drains the queue quickly.
 */

export interface PollPacing {
  /** Pause after a poll that found work. */
  minPollIntervalMs: number;
  /** Longest pause while idle. */
  maxPollIntervalMs: number;
}

/** The pause before the next poll. `previousMs` is the pause before this poll (0 at start). */
export function nextPollDelay(previousMs: number, foundWork: boolean, pacing: PollPacing): number {
  const min = Math.max(0, pacing.minPollIntervalMs);
  const max = Math.max(min, pacing.maxPollIntervalMs);
  if (foundWork) return min;
  const floor = Math.max(min, 100);
  return Math.min(max, Math.max(floor, previousMs * 2));
}
