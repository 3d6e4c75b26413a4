/**
 * A signal between the servers of one PostgreSQL database: NOTIFY through the pool, LISTEN on a connection
 * of its own, opened when the first listener arrives and reopened on the next listener after it broke.
 * Signals are hints: a listener also wakes on its own timeout, so one lost while the connection was down
 * costs a delay, not a run.
 */
import pg from "pg";
import { LocalChannel, type NotifyChannel, type SqlParam } from "./driver.js";

export class PostgresChannel implements NotifyChannel {
  private readonly local = new LocalChannel();
  private client: Promise<pg.Client> | undefined;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    /** The channel's name in PostgreSQL (per schema, so servers of other schemas are not woken). */
    private readonly pgName: string,
    private readonly run: (sql: string, params: readonly SqlParam[]) => Promise<unknown>,
  ) {}

  async notify(): Promise<void> {
    await this.run("SELECT pg_notify(?, '')", [this.pgName]);
  }

  listen(listener: () => void): () => void {
    const stop = this.local.listen(listener);
    void this.connect().catch(() => undefined);
    return stop;
  }

  private connect(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error("closed"));
    this.client ??= (async () => {
      const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
      const broken = () => {
        this.client = undefined;
        void client.end().catch(() => undefined);
      };
      client.on("error", broken);
      client.on("end", broken);
      client.on("notification", (message) => {
        if (message.channel === this.pgName) this.local.wake();
      });
      try {
        await client.connect();
        await client.query(`LISTEN "${this.pgName}"`);
      } catch (error) {
        broken();
        throw error;
      }
      return client;
    })();
    return this.client;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await this.local.close();
    if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }
}
