/**
 * Tells waiting claims that a flow run may have become claimable (created, or put back to Scheduled), on
 * every server of the database. A claim that finds nothing waits until a signal, the moment the earliest
 * future run becomes due, or its own deadline, whichever comes first; then it tries again.
 */
import type { NotifyChannel } from "../database/driver.js";

/** One long poll's view of the signal: signals between two waits are remembered, never missed. */
export interface RunWaiter {
  /** Resolves at once if a signal came since the last wait, else at the next signal, after `ms`, or on `abort`. */
  wait(ms: number, abort?: AbortSignal): Promise<void>;
  /** Stops listening. */
  close(): void;
}

export class RunSignal {
  constructor(private readonly channel: NotifyChannel) {}

  /** A run may be claimable now. Never throws: waiters also wake on their own timeout. */
  async runsChanged(): Promise<void> {
    await this.channel.notify().catch(() => undefined);
  }

  /** Starts listening now (before the first claim attempt, so no signal falls between the attempt and the wait). */
  waiter(): RunWaiter {
    let signalled = false;
    let wake: (() => void) | undefined;
    const stop = this.channel.listen(() => {
      signalled = true;
      wake?.();
    });
    return {
      wait: (ms, abort) =>
        new Promise<void>((resolve) => {
          if (signalled || ms <= 0 || abort?.aborted) {
            signalled = false;
            return resolve();
          }
          const done = () => {
            clearTimeout(timer);
            abort?.removeEventListener("abort", done);
            wake = undefined;
            signalled = false;
            resolve();
          };
          const timer = setTimeout(done, ms);
          wake = done;
          abort?.addEventListener("abort", done, { once: true });
        }),
      close: () => {
        wake?.();
        stop();
      },
    };
  }
}
