/**
 * SQLite through better-sqlite3: WAL journal (synchronous=NORMAL: commits do not fsync), checkpoints in a
 * worker thread (sqlite-checkpointer.ts: their fsyncs never stall the event loop), prepared-statement
 * cache, one connection per server.
 * better-sqlite3 is synchronous, so a statement can never interleave with another; only a transaction
 * that awaits between its statements needs care: while one is open, other calls wait for it (a
 * promise-chain lock), so nothing foreign joins or is lost with its rollback.
 * A full disk fails the write that needed the space (its transaction rolls back whole) with a
 * SERVICE_UNAVAILABLE error saying so; reads go on, and writes succeed again once there is space.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { SluiceError } from "../../core/errors.js";
import {
  LocalChannel,
  type DialectSql,
  type NotifyChannel,
  type SessionLock,
  type SqlDriver,
  type SqlExecutor,
  type SqlParam,
  type BatchRow,
} from "./driver.js";
import { SqliteCheckpointer } from "./sqlite-checkpointer.js";

type Bindable = string | number | null;

const bind = (params: readonly SqlParam[]): Bindable[] =>
  params.map((p) => (p === undefined ? null : typeof p === "boolean" ? (p ? 1 : 0) : Array.isArray(p) ? JSON.stringify(p) : (p as Bindable)));

/**
 * Batches are written as multi-row VALUES lists bound as plain parameters (no JSON to encode and parse
 * again per value), in chunks whose sizes are powers of two up to 256 rows: any batch takes a few
 * statements, and each kind of statement has at most nine texts, each prepared once.
 */
const CHUNK_SIZES = [256, 128, 64, 32, 16, 8, 4, 2, 1];

function chunksOf(rows: readonly BatchRow[]): BatchRow[][] {
  const chunks: BatchRow[][] = [];
  let at = 0;
  for (const size of CHUNK_SIZES) {
    while (rows.length - at >= size) {
      chunks.push(rows.slice(at, at + size));
      at += size;
    }
  }
  return chunks;
}

const flat = (rows: readonly BatchRow[]): SqlParam[] => {
  const params: SqlParam[] = [];
  for (const row of rows) for (const value of row) params.push(value);
  return params;
};

/** Statement texts by shape: the same text object each time, so the statement cache finds it at once. */
const texts = new Map<string, string>();

/** `${before} (?, ?), (?, ?) ${after}` for `count` rows of `width` values. */
function statementText(before: string, after: string, width: number, count: number): string {
  const key = `${count}\u0000${width}\u0000${before}\u0000${after}`;
  let text = texts.get(key);
  if (text === undefined) {
    const row = `(${Array.from({ length: width }, () => "?").join(", ")})`;
    text = `${before} ${Array.from({ length: count }, () => row).join(", ")} ${after}`;
    if (texts.size < 1000) texts.set(key, text);
  }
  return text;
}

const sqliteSql: DialectSql = {
  inList: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  listParam: (values) => JSON.stringify(values),
  labelsWithin: (column) => `NOT EXISTS (SELECT 1 FROM json_each(${column}) l WHERE l.value NOT IN (SELECT value FROM json_each(?)))`,
  labelsParam: (labels) => JSON.stringify(labels),
  labelsInclude: (column) => `NOT EXISTS (SELECT 1 FROM json_each(?) w WHERE w.value NOT IN (SELECT value FROM json_each(${column})))`,
  pairIn: (key, index) => `(${key}, ${index}) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
  pairParams: (pairs) => [JSON.stringify(pairs)],
  insertRows: (into, columns, rows, suffix = "") =>
    chunksOf(rows).map((chunk) => ({ sql: statementText(`INSERT INTO ${into} VALUES`, suffix, columns.length, chunk.length), params: flat(chunk) })),
  withRows: (columns, rows, build) => {
    const prefix = `WITH r (${columns.map(([name]) => name).join(", ")}) AS (VALUES`;
    const body = `) ${build("r")}`;
    return chunksOf(rows).map((chunk) => ({ sql: statementText(prefix, body, columns.length, chunk.length), params: flat(chunk) }));
  },
  skipLocked: "",
  lockRows: "",
};

export interface SqliteDriverOptions {
  /**
   * Checkpoint the WAL from a worker thread, at most this long after a write; 0 leaves checkpoints to
   * SQLite (inside the commit that takes the WAL past 1000 pages, on the event loop).
   * @default 500
   */
  checkpointIntervalMs?: number;
}

/** SQLite's answer when a write needs space the disk (or the database's page limit) does not have. */
const DISK_FULL = "SQLITE_FULL";

/** SQLite's own automatic checkpoint threshold (pages), restored should the checkpoint worker fail. */
const AUTO_CHECKPOINT_PAGES = 1000;

export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
  readonly sql = sqliteSql;
  private readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly direct: SqlExecutor;
  private lock: Promise<unknown> = Promise.resolve();
  private inTransaction = false;
  private readonly channels = new Map<string, LocalChannel>();
  /** Undefined for in-memory databases (no WAL) and when checkpoints are left to SQLite. */
  readonly checkpointer: SqliteCheckpointer | undefined;

  /** @param file a file path, or ":memory:" */
  constructor(
    private readonly file: string,
    options: SqliteDriverOptions = {},
  ) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new BetterSqlite3(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    // After a checkpoint lets the WAL start over, a WAL file grown by a burst is cut back to this size.
    this.db.pragma("journal_size_limit = 67108864");
    const intervalMs = options.checkpointIntervalMs ?? 500;
    if (file !== ":memory:" && intervalMs > 0) {
      this.db.pragma("wal_autocheckpoint = 0");
      this.checkpointer = new SqliteCheckpointer(file, intervalMs, () => {
        if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      });
    }
    const prepare = (sql: string): BetterSqlite3.Statement => {
      let statement = this.statements.get(sql);
      if (!statement) {
        statement = this.db.prepare(sql);
        this.statements.set(sql, statement);
      }
      if (!statement.readonly) this.checkpointer?.written();
      return statement;
    };
    this.direct = {
      // One array argument: better-sqlite3 binds its items in order (a batch's thousands of values are not spread).
      all: <T>(sql: string, params: readonly SqlParam[] = []) => Promise.resolve(prepare(sql).all(bind(params)) as T[]),
      get: <T>(sql: string, params: readonly SqlParam[] = []) => Promise.resolve(prepare(sql).get(bind(params)) as T | undefined),
      run: (sql: string, params: readonly SqlParam[] = []) => Promise.resolve({ changes: prepare(sql).run(bind(params)).changes }),
    };
  }

  /**
   * A write that found the disk full becomes an error that says so (status 503: nothing was written, the
   * client may send it again); any other error is returned as it is.
   */
  private explained(error: unknown): unknown {
    if ((error as { code?: unknown } | null)?.code !== DISK_FULL) return error;
    return new SluiceError(
      "SERVICE_UNAVAILABLE",
      `the server's database ${this.file} cannot take this write: the disk is full (${(error as Error).message}); nothing of it was stored. ` +
        `Reads go on; free space on the file system holding ${dirname(this.file)} and writes succeed again (clients retry).`,
      { field: "server.databaseUrl", cause: error },
    );
  }

  /** Calls `fn`, its errors explained. */
  private explaining<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return fn().catch((error: unknown) => Promise.reject(this.explained(error) as Error));
    } catch (error) {
      return Promise.reject(this.explained(error) as Error);
    }
  }

  /** Runs `fn` now when no transaction is open (it cannot interleave), else after the open one ends. */
  private whenFree<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.inTransaction) return this.explaining(fn);
    const next = this.lock.then(
      () => this.explaining(fn),
      () => this.explaining(fn),
    );
    this.lock = next.catch(() => undefined);
    return next;
  }

  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.whenFree(() => this.direct.all<T>(sql, params));
  }

  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.whenFree(() => this.direct.get<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.whenFree(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const body = async (): Promise<T> => {
      this.inTransaction = true;
      try {
        await this.direct.run("BEGIN IMMEDIATE");
        try {
          const result = await fn(this.direct);
          await this.direct.run("COMMIT");
          return result;
        } catch (error) {
          if (this.db.inTransaction) await this.direct.run("ROLLBACK");
          throw error;
        }
      } finally {
        this.inTransaction = false;
      }
    };
    // Transactions always queue: the lock chain orders them, and plain calls made while one is open.
    const next = this.lock.then(
      () => this.explaining(body),
      () => this.explaining(body),
    );
    this.lock = next.catch(() => undefined);
    return next;
  }

  exec(script: string): Promise<void> {
    return this.whenFree(() => {
      this.db.exec(script);
      this.checkpointer?.written();
      return Promise.resolve();
    });
  }

  lockKey(): Promise<void> {
    return Promise.resolve();
  }

  /** One server per SQLite file: a signal only needs to reach this process. */
  channel(name: string): NotifyChannel {
    let channel = this.channels.get(name);
    if (!channel) this.channels.set(name, (channel = new LocalChannel()));
    return channel;
  }

  /** One server per SQLite file: it always holds every session lock. */
  sessionLock(): SessionLock {
    return { tryAcquire: () => Promise.resolve(true), onLost: () => undefined, release: () => Promise.resolve() };
  }

  async close(): Promise<void> {
    await this.lock;
    await this.checkpointer?.close();
    this.statements.clear();
    this.db.close(); // the last connection: checkpoints what is left and removes the WAL
  }
}
