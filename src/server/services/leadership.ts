/**
 * Leadership of the server's services when several servers share one database: only the holder of the
 * database's session lock runs them. A follower tries to take the lock every `retryMs`; the leader checks
 * its lock's connection as often. When the leader dies, PostgreSQL releases its lock as soon as it sees
 * the connection closed, so the services move to another server within about `retryMs` (plus one service
 * interval before they act). On SQLite there is one server, which leads at once.
 *
 * Leadership is what makes each service run once; their steps are also safe if two leaders ever overlap
 * (a leader cut off from the database still finishing a tick): a schedule slot has a unique key, and every
 * state change the services make is checked against the version they read.
 */
import type { SessionLock } from "../database/driver.js";
import type { ServiceLogger } from "./service.js";

export interface LeadershipOptions {
  /** How often a follower tries to become the leader, and the leader checks it still is (ms). */
  retryMs: number;
  /** Called when this server becomes the leader: start the services. */
  onLead(): void;
  /** Called when this server stops leading (its lock's connection broke, or it is closing): stop them. */
  onFollow(): Promise<void>;
}

export class Leadership {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private leading = false;
  private stopped = false;

  constructor(
    private readonly lock: SessionLock,
    private readonly options: LeadershipOptions,
    private readonly log: ServiceLogger,
  ) {
    lock.onLost(() => void this.follow("its database connection for the leader lock ended"));
  }

  /** True while this server runs the services. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries now, then every `retryMs`. Answers once the first try is done. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
    this.timer ??= setInterval(() => void this.check(), this.options.retryMs);
    this.timer.unref();
  }

  /** Stops the services (if leading) and lets go of the lock. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    await this.follow();
    await this.lock.release();
  }

  private check(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const held = await this.lock.tryAcquire();
        if (this.stopped) return;
        if (held && !this.leading) {
          this.leading = true;
          this.log.info({ service: "leadership" }, "this server now runs the services (scheduler, zombie killer, resurrection, cancellation)");
          this.options.onLead();
        } else if (!held && this.leading) {
          await this.follow("the leader lock could not be confirmed");
        }
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async follow(reason?: string): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    if (reason) this.log.warn({ service: "leadership" }, `this server stopped running the services: ${reason}; another server takes them over`);
    await this.options.onFollow();
  }
}
