/**
 * PostgreSQL through pg: a connection pool, named prepared statements (parsed once per connection),
 * BIGINT columns read as numbers (every BIGINT here is a millisecond timestamp or a counter, far below
 * 2^53), and an optional schema (`?schema=name` in the URL) so several servers or test files can share one
 * database.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { BatchRow, DialectSql, NotifyChannel, SessionLock, SqlDriver, SqlExecutor, SqlParam, TableColumn } from "./driver.js";
import { PostgresChannel } from "./postgres-channel.js";
import { PostgresSessionLock } from "./postgres-session-lock.js";

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/**
 * A batch's rows as a derived table: one array parameter per column, unnested side by side, with `ord`
 * (the row's position). Column-major, so the statement's text does not change with the batch's size and
 * stays one prepared statement.
 */
const rowsTable = (columns: readonly TableColumn[]): string =>
  `(SELECT * FROM unnest(${columns.map(([, type]) => `?::${type}[]`).join(", ")}) WITH ORDINALITY AS u(${columns.map(([name]) => name).join(", ")}, ord))`;
const columnParams = (columns: readonly TableColumn[], rows: readonly BatchRow[]): SqlParam[] => columns.map((_, i) => rows.map((row) => row[i] ?? null));

const postgresSql: DialectSql = {
  inList: (column) => `${column} = ANY(?::text[])`,
  listParam: (values) => values,
  labelsWithin: (column) => `(${column})::jsonb <@ (?)::jsonb`,
  labelsParam: (labels) => JSON.stringify(labels),
  labelsInclude: (column) => `(${column})::jsonb @> (?)::jsonb`,
  pairIn: (key, index) => `(${key}, ${index}) IN (SELECT * FROM unnest(?::text[], ?::int[]))`,
  pairParams: (pairs) => [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  insertRows: (into, columns, rows, suffix = "") => [
    {
      sql: `INSERT INTO ${into} SELECT ${columns.map(([name]) => name).join(", ")} FROM ${rowsTable(columns)} r ORDER BY r.ord ${suffix}`,
      params: columnParams(columns, rows),
    },
  ],
  withRows: (columns, rows, build) => [{ sql: build(`${rowsTable(columns)} r`), params: columnParams(columns, rows) }],
  skipLocked: " FOR UPDATE SKIP LOCKED",
  lockRows: " FOR NO KEY UPDATE",
};

/** deadlock_detected, serialization_failure: the transaction was aborted and may simply run again. */
const RETRYABLE = new Set(["40P01", "40001"]);
const TRANSACTION_ATTEMPTS = 4;

interface Prepared {
  /** Undefined for statements PostgreSQL cannot prepare by name (DDL): sent unnamed. */
  name: string | undefined;
  text: string;
}

const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;

const bind = (params: readonly SqlParam[]): unknown[] => params.map((p) => (p === undefined ? null : typeof p === "boolean" ? (p ? 1 : 0) : p));

export interface PostgresDriverOptions {
  /** Schema to use (created when missing); the search_path of every connection. @default "public" */
  schema?: string;
  /** Largest number of connections. @default 10 */
  maxConnections?: number;
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  readonly sql = postgresSql;
  private readonly pool: pg.Pool;
  private readonly prepared = new Map<string, Prepared>();
  private readonly channels = new Map<string, PostgresChannel>();
  readonly schema: string | undefined;

  constructor(
    private readonly connectionString: string,
    options: PostgresDriverOptions = {},
  ) {
    this.schema = options.schema;
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      types,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client's error (e.g. the database restarted) must not crash the server; the pool replaces it.
    this.pool.on("error", () => undefined);
  }

  /** `?` placeholders → `$1..$n`, named by a hash of the text so each connection parses it once. */
  private prepare(sql: string): Prepared {
    let p = this.prepared.get(sql);
    if (!p) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      p = { name: PREPARABLE.test(text) ? `s_${createHash("sha1").update(text).digest("hex").slice(0, 20)}` : undefined, text };
      this.prepared.set(sql, p);
    }
    return p;
  }

  private executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
    const query = async <T>(sql: string, params: readonly SqlParam[] = []) => {
      const { name, text } = this.prepare(sql);
      return client.query<T & pg.QueryResultRow>(name === undefined ? { text, values: bind(params) } : { name, text, values: bind(params) });
    };
    return {
      all: async <T>(sql: string, params?: readonly SqlParam[]) => (await query<T>(sql, params)).rows as T[],
      get: async <T>(sql: string, params?: readonly SqlParam[]) => (await query<T>(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params?: readonly SqlParam[]) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
    };
  }

  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.executor(this.pool).all<T>(sql, params);
  }

  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.executor(this.pool).get<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.executor(this.pool).run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactionOnce(fn);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code !== "string" || !RETRYABLE.has(code) || attempt >= TRANSACTION_ATTEMPTS) throw error;
        // The other transaction of the deadlock goes on; start again a little later, not in step with it.
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Lends a pooled connection to `fn`. While it is lent the pool does not watch it, and a connection that
   * dies (PostgreSQL restarted or stopped) emits an "error" event besides failing the query in flight: with
   * no listener, that event would end the server. It is heard here, and the dead connection is discarded
   * instead of going back to the pool. `fn` calls `discard()` for a connection left in an unknown state.
   */
  private async borrow<T>(fn: (client: pg.PoolClient, discard: () => void) => Promise<T>): Promise<T> {
    let broken = false;
    const discard = (): void => {
      broken = true;
    };
    // The listener goes on in the pool's callback, not after an await: the pool hands the connection over
    // while its socket's data is still being read, and an error in that same read would find no listener.
    const client = await new Promise<pg.PoolClient>((resolve, reject) => {
      this.pool.connect((error, lent) => {
        if (error || !lent) return reject(error ?? new Error("the PostgreSQL pool gave no connection"));
        lent.on("error", discard);
        resolve(lent);
      });
    });
    try {
      return await fn(client, discard);
    } finally {
      client.off("error", discard);
      client.release(broken);
    }
  }

  private transactionOnce<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.borrow(async (client, discard) => {
      try {
        await client.query("BEGIN");
        const result = await fn(this.executor(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(discard);
        throw error;
      }
    });
  }

  async exec(script: string): Promise<void> {
    await this.borrow(async (client) => {
      await client.query(script);
    });
  }

  async lockKey(tx: SqlExecutor, key: string): Promise<void> {
    await tx.get("SELECT pg_advisory_xact_lock(hashtext(?)) AS locked", [key]);
  }

  channel(name: string): NotifyChannel {
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new PostgresChannel(
        this.connectionString,
        `sluice_${createHash("sha1")
          .update(`${this.schema ?? "public"}:${name}`)
          .digest("hex")
          .slice(0, 24)}`,
        (sql, params) => this.run(sql, params),
      );
      this.channels.set(name, channel);
    }
    return channel;
  }

  sessionLock(key: string): SessionLock {
    return new PostgresSessionLock(this.connectionString, this.schema, key);
  }

  async close(): Promise<void> {
    await Promise.all([...this.channels.values()].map((channel) => channel.close()));
    await this.pool.end();
  }
}
