/**
 * The seam between Sluice's repositories and a SQL database. Two implementations: SQLite
 * (better-sqlite3) and PostgreSQL (pg). Repositories write portable SQL with `?` placeholders and ask the
 * driver's `sql` helpers for the few fragments that differ between the two.
 */

export type Dialect = "sqlite" | "postgres";

/** A value bound to a placeholder (booleans are stored as 0/1, undefined as NULL). */
export type SqlParam = string | number | boolean | null | undefined | readonly (string | number | null)[];

export interface SqlExecutor {
  /** Every row of a query (also for INSERT/UPDATE ... RETURNING). */
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** A statement without rows; answers how many rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }>;
}

/** SQL type of a column of a bound table (see `DialectSql.table`). */
export type ColumnType = "text" | "int" | "bigint";

/** One column of a bound table: its name in the table and its type. */
export type TableColumn = readonly [name: string, type: ColumnType];

/** One row of a batch: a value per column. */
export type BatchRow = readonly (string | number | null)[];

/** A statement and its parameters, ready to run. */
export interface BoundStatement {
  sql: string;
  params: SqlParam[];
}

/** Dialect-specific SQL fragments; each fragment's `?` placeholders are bound to what its param helper gives. */
export interface DialectSql {
  /** `column` is one of a list bound as a single parameter: bind `listParam(values)`. */
  inList(column: string): string;
  listParam(values: readonly string[]): SqlParam;
  /** Every label of a JSON-array text column is in a list bound as one parameter: bind `labelsParam`. */
  labelsWithin(column: string): string;
  labelsParam(labels: readonly string[]): SqlParam;
  /** A JSON-array text column holds every label of a list bound as one parameter: bind `labelsParam`. */
  labelsInclude(column: string): string;
  /** The pair (keyColumn, indexColumn) is one of a list of pairs: bind the params of `pairParams(pairs)`. */
  pairIn(keyColumn: string, indexColumn: string): string;
  pairParams(pairs: readonly (readonly [string, number])[]): SqlParam[];
  /**
   * The statements that insert `rows` in the order given (their `seq` follows it): `into` names the
   * table and its columns (`task_run_states (task_run_id, name, timestamp, state_json)`), `columns` the
   * types of the values, one per column of `into` in the same order, and `suffix` ends each statement
   * (`ON CONFLICT DO NOTHING RETURNING id`). Run them in order, in one transaction: the rows they return
   * together are the batch's. A batch costs a handful of statements whatever its size.
   */
  insertRows(into: string, columns: readonly TableColumn[], rows: readonly BatchRow[], suffix?: string): BoundStatement[];
  /**
   * The statements that join `rows`, as a table aliased `r` with the given columns, into a statement that
   * `build` writes around `from` (`UPDATE t SET ... FROM ${from} WHERE t.id = r.ref`). Same running rules
   * as `insertRows`; nothing may depend on the order in which `r`'s rows are visited.
   */
  withRows(columns: readonly TableColumn[], rows: readonly BatchRow[], build: (from: string) => string): BoundStatement[];
  /** Appended to a SELECT whose rows a transaction takes: others skip them instead of waiting. */
  skipLocked: string;
  /**
   * Appended to a SELECT whose rows a transaction is about to change (not their keys): other writers of
   * them wait until it ends, foreign-key checks do not (PostgreSQL `FOR NO KEY UPDATE`, the lock such an
   * UPDATE takes; SQLite: already one writer at a time).
   */
  lockRows: string;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  readonly sql: DialectSql;
  /**
   * Runs `fn` in a write transaction: committed when it resolves, rolled back when it throws. On SQLite
   * transactions are serialized (one writer at a time, BEGIN IMMEDIATE); on PostgreSQL they run
   * concurrently at READ COMMITTED, so use version checks or row locks (`skipLocked`, `lockRows`). A
   * transaction PostgreSQL aborts as a deadlock victim is run again from the start (a few times), so `fn`
   * must act only through `tx`.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs a script of statements (migrations). */
  exec(script: string): Promise<void>;
  /** Serializes writers of one key inside a transaction (PostgreSQL advisory lock; SQLite: already serial). */
  lockKey(tx: SqlExecutor, key: string): Promise<void>;
  /**
   * A lock held by this process across transactions until it lets go or dies: the leadership of the
   * server's services. PostgreSQL: a session advisory lock on a connection of its own, released by the
   * database when that connection ends (the process was killed, the network broke). SQLite: the file has
   * one server, which always holds it.
   */
  sessionLock(key: string): SessionLock;
  /**
   * A wake-up signal shared by every server on this database: `notify()` reaches the listeners of all of
   * them (PostgreSQL LISTEN/NOTIFY on a connection of its own; SQLite: this process, its only server).
   */
  channel(name: string): NotifyChannel;
  close(): Promise<void>;
}

/** A lock that outlives transactions (see `SqlDriver.sessionLock`). */
export interface SessionLock {
  /** Takes the lock if it is free; true while this process holds it (checks the connection is alive). */
  tryAcquire(): Promise<boolean>;
  /** Called once when a held lock is lost (its connection ended). */
  onLost(listener: () => void): void;
  /** Lets go of the lock and its connection. */
  release(): Promise<void>;
}

/** A signal without payload between the servers of one database (see `SqlDriver.channel`). */
export interface NotifyChannel {
  /** Wakes every listener, on every server. Best effort: a lost signal only delays a listener until its own timeout. */
  notify(): Promise<void>;
  /** Calls `listener` at every signal until the returned function is called. */
  listen(listener: () => void): () => void;
  close(): Promise<void>;
}

/** A channel within one process: the SQLite server's, and the local half of PostgreSQL's. */
export class LocalChannel implements NotifyChannel {
  private readonly listeners = new Set<() => void>();

  notify(): Promise<void> {
    this.wake();
    return Promise.resolve();
  }

  /** Calls every listener now. */
  wake(): void {
    for (const listener of [...this.listeners]) listener();
  }

  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}

/** True when a driver error is a unique-constraint violation (both databases). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
