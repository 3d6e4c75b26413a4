/**
 * A PostgreSQL session advisory lock on a connection of its own (not from the pool: a pooled connection
 * would carry the lock to whoever borrows it next). The database releases the lock when the connection
 * ends, so a killed server's lock frees itself as soon as PostgreSQL notices the closed socket; TCP
 * keep-alive bounds the case of a peer that vanished without closing it.
 */
import pg from "pg";
import type { SessionLock } from "./driver.js";

/** TCP keep-alive probes start after this much silence on the lock's connection. */
const KEEPALIVE_DELAY_MS = 5_000;

export class PostgresSessionLock implements SessionLock {
  private client: pg.Client | undefined;
  private held = false;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly connectionString: string,
    private readonly schema: string | undefined,
    private readonly key: string,
  ) {}

  async tryAcquire(): Promise<boolean> {
    try {
      const client = await this.connection();
      if (this.held) {
        await client.query("SELECT 1"); // the connection, hence the lock, is still there
        return true;
      }
      const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [this.lockName()]);
      this.held = rows[0]?.locked === true;
      return this.held;
    } catch {
      this.drop();
      return false;
    }
  }

  onLost(listener: () => void): void {
    this.listeners.push(listener);
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    if (client) await client.end().catch(() => undefined); // ending the session releases the lock
  }

  /** Advisory locks are per database: the schema is part of the name, so servers of other schemas do not compete. */
  private lockName(): string {
    return `sluice:${this.schema ?? "public"}:${this.key}`;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS });
    const lost = () => {
      if (this.client === client) this.drop();
    };
    client.on("error", lost);
    client.on("end", lost);
    this.client = client;
    try {
      await client.connect();
    } catch (error) {
      this.client = undefined;
      throw error;
    }
    return client;
  }

  /** The connection is gone: so is the lock, if it was held. */
  private drop(): void {
    const client = this.client;
    this.client = undefined;
    if (client) void client.end().catch(() => undefined);
    if (!this.held) return;
    this.held = false;
    for (const listener of this.listeners) listener();
  }
}
