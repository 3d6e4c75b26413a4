/**
 * A server service: `tick(now)` does one round of work (tests call it directly with the instant they
 * want); `start()` calls it every interval, never two at once; `stop()` waits for the running tick.
 */

/** The little of a logger the services use (pino and Fastify's logger fit). */
export interface ServiceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export abstract class IntervalService<R> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  protected constructor(
    /** Name used in logs. */
    readonly name: string,
    private readonly intervalMs: number,
    protected readonly log: ServiceLogger,
  ) {}

  /** One round of work as of `now` (ms); answers what it did. */
  abstract tick(now?: number): Promise<R>;

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.tick(Date.now())
      .then(
        () => undefined,
        (error: unknown) => this.log.error({ err: error, service: this.name }, `${this.name} failed; it will try again in ${this.intervalMs} ms`),
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}

/** How many runs one tick handles at most (the next tick takes the rest). */
export const TICK_BATCH = 500;

/**
 * The cutoff of a staleness rule ("no sign of life for `thresholdMs`") as of `now`, or undefined during the
 * start-up grace. While no server ran, no runner could report, so silence is counted from
 * max(last sign of life, `upSince`): until this server has been up for `thresholdMs`, nothing is stale.
 * After that, max(last, upSince) < now - threshold is simply last < now - threshold.
 */
export function staleCutoff(now: number, thresholdMs: number, upSince: number): number | undefined {
  return now - upSince < thresholdMs ? undefined : now - thresholdMs;
}

/** A duration for messages: "95 s", "12 min". */
export const showDuration = (ms: number): string => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`);
