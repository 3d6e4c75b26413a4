/**
 * Schema migrations, run at start in order and recorded in `sluice_migrations`. Each migration is one
 * SQL script written once for both databases with three tokens: {{serial}} (an auto-increment primary
 * key), {{bigint}} (64-bit integers: ms timestamps) and {{json}} (JSON text). Never edit a released
 * migration: add the next one.
 *
 * Conventions: times are ms since the epoch; JSON is text; booleans are 0/1 integers; `seq` gives each
 * listable table a stable order and the cursors of its pages.
 */
import { SluiceError } from "../../core/errors.js";
import type { Dialect, SqlDriver } from "./driver.js";

interface Migration {
  id: number;
  name: string;
  sql: string;
  /** Only this database runs the script; the other records the migration as applied, so ids stay in step. */
  only?: Dialect;
}

const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: "initial schema",
    sql: `
CREATE TABLE flows (
  seq {{serial}},
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  environment {{json}} NOT NULL,
  storage {{json}} NOT NULL,
  parameter_schema {{json}} NOT NULL,
  parameter_defaults {{json}} NOT NULL,
  task_graph {{json}} NOT NULL,
  description TEXT,
  labels {{json}} NOT NULL,
  created_at {{bigint}} NOT NULL,
  UNIQUE (name, version)
);

CREATE TABLE flow_runs (
  seq {{serial}},
  id TEXT NOT NULL UNIQUE,
  flow_id TEXT NOT NULL REFERENCES flows (id),
  flow_name TEXT NOT NULL,
  flow_version INTEGER NOT NULL,
  name TEXT,
  parameters {{json}} NOT NULL,
  labels {{json}} NOT NULL,
  state TEXT NOT NULL,
  state_json {{json}} NOT NULL,
  version INTEGER NOT NULL,
  scheduled_start {{bigint}} NOT NULL,
  created_at {{bigint}} NOT NULL,
  updated_at {{bigint}} NOT NULL,
  progress_at {{bigint}} NOT NULL,
  started_at {{bigint}},
  ended_at {{bigint}},
  agent_id TEXT,
  heartbeat_at {{bigint}},
  cancel_requested_at {{bigint}},
  resurrections INTEGER NOT NULL DEFAULT 0,
  schedule_id TEXT,
  schedule_slot {{bigint}},
  idempotency_key TEXT,
  UNIQUE (flow_id, idempotency_key),
  UNIQUE (schedule_id, schedule_slot)
);
CREATE INDEX flow_runs_due ON flow_runs (state, scheduled_start);
CREATE INDEX flow_runs_flow ON flow_runs (flow_id, seq);
CREATE INDEX flow_runs_flow_name ON flow_runs (flow_name, seq);
CREATE INDEX flow_runs_agent ON flow_runs (agent_id, seq);

CREATE TABLE flow_run_states (
  seq {{serial}},
  flow_run_id TEXT NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  timestamp {{bigint}} NOT NULL,
  state_json {{json}} NOT NULL
);
CREATE INDEX flow_run_states_run ON flow_run_states (flow_run_id, seq);

CREATE TABLE task_runs (
  seq {{serial}},
  id TEXT NOT NULL UNIQUE,
  flow_run_id TEXT NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  task_key TEXT NOT NULL,
  task_name TEXT NOT NULL,
  map_index INTEGER NOT NULL,
  state TEXT NOT NULL,
  state_json {{json}} NOT NULL,
  version INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  created_at {{bigint}} NOT NULL,
  updated_at {{bigint}} NOT NULL,
  started_at {{bigint}},
  ended_at {{bigint}},
  UNIQUE (flow_run_id, task_key, map_index)
);
CREATE INDEX task_runs_run ON task_runs (flow_run_id, seq);
CREATE INDEX task_runs_state ON task_runs (state, flow_run_id);

CREATE TABLE task_run_states (
  seq {{serial}},
  task_run_id TEXT NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  timestamp {{bigint}} NOT NULL,
  state_json {{json}} NOT NULL
);
CREATE INDEX task_run_states_run ON task_run_states (task_run_id, seq);

CREATE TABLE logs (
  seq {{serial}},
  flow_run_id TEXT NOT NULL REFERENCES flow_runs (id) ON DELETE CASCADE,
  task_run_id TEXT,
  level INTEGER NOT NULL,
  message TEXT NOT NULL,
  timestamp {{bigint}} NOT NULL,
  fields {{json}}
);
CREATE INDEX logs_run ON logs (flow_run_id, seq);

CREATE TABLE agents (
  seq {{serial}},
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  labels {{json}} NOT NULL,
  accept_unlabelled INTEGER NOT NULL,
  created_at {{bigint}} NOT NULL,
  last_seen {{bigint}} NOT NULL
);

CREATE TABLE schedules (
  seq {{serial}},
  id TEXT NOT NULL UNIQUE,
  flow_id TEXT NOT NULL REFERENCES flows (id),
  name TEXT,
  cron TEXT,
  timezone TEXT,
  interval_ms {{bigint}},
  anchor {{bigint}} NOT NULL,
  parameters {{json}} NOT NULL,
  labels {{json}},
  active INTEGER NOT NULL,
  last_slot {{bigint}},
  created_at {{bigint}} NOT NULL,
  updated_at {{bigint}} NOT NULL
);
CREATE INDEX schedules_flow ON schedules (flow_id, seq);

CREATE TABLE secrets (
  seq {{serial}},
  name TEXT NOT NULL UNIQUE,
  ciphertext TEXT NOT NULL,
  created_at {{bigint}} NOT NULL,
  updated_at {{bigint}} NOT NULL
);

CREATE TABLE api_keys (
  seq {{serial}},
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  created_at {{bigint}} NOT NULL,
  last_used_at {{bigint}},
  revoked_at {{bigint}}
);
`,
  },
  {
    id: 2,
    name: "flow run list time filters",
    // The runs list filters by a creation time range, and a live list re-reads the runs changed since its
    // last look every few seconds: without these, both scan every run.
    sql: `
CREATE INDEX flow_runs_created ON flow_runs (created_at);
CREATE INDEX flow_runs_updated ON flow_runs (updated_at);
`,
  },
  {
    id: 3,
    name: "room on task-run pages for in-place updates",
    // A task run's row is rewritten at each of its states. PostgreSQL writes the new version of a row on
    // the same page, without a new entry in every index, only when the page has room for it (a "HOT"
    // update); full pages send each update to another page and through all five indexes of task_runs.
    // Pages filled to 70 % keep that room. Applies to pages written from now on.
    only: "postgres",
    sql: `
ALTER TABLE task_runs SET (fillfactor = 70);
`,
  },
];

const TOKENS: Record<Dialect, Record<string, string>> = {
  sqlite: { serial: "INTEGER PRIMARY KEY AUTOINCREMENT", bigint: "INTEGER", json: "TEXT" },
  postgres: { serial: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", bigint: "BIGINT", json: "TEXT" },
};

export const renderMigration = (sql: string, dialect: Dialect): string =>
  sql.replace(/\{\{(\w+)\}\}/g, (_, token: string) => {
    const value = TOKENS[dialect][token];
    if (value === undefined) throw new Error(`unknown migration token ${token}`);
    return value;
  });

/** The newest migration id this code knows. */
export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

/**
 * Applies the migrations the database lacks, each in its own transaction. Concurrent servers are safe:
 * PostgreSQL takes an advisory lock, SQLite's write transaction is exclusive.
 */
export async function migrate(driver: SqlDriver): Promise<number[]> {
  const applied: number[] = [];
  await driver.transaction(async (tx) => {
    if (driver.dialect === "postgres") await driver.lockKey(tx, "sluice-migrations");
    await tx.run("CREATE TABLE IF NOT EXISTS sluice_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    const done = new Set((await tx.all<{ id: number }>("SELECT id FROM sluice_migrations")).map((r) => Number(r.id)));
    const newest = Math.max(0, ...done);
    if (newest > LATEST_MIGRATION)
      throw new SluiceError(
        "CONFIG_INVALID",
        `the database is at migration ${newest}, newer than this Sluice knows (${LATEST_MIGRATION}): upgrade Sluice or point SLUICE__SERVER__DATABASE_URL at another database`,
        { field: "server.databaseUrl" },
      );
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      const script = migration.only === undefined || migration.only === driver.dialect ? migration.sql : "";
      for (const statement of renderMigration(script, driver.dialect).split(/;\s*\n/)) {
        if (statement.trim()) await tx.run(statement);
      }
      await tx.run("INSERT INTO sluice_migrations (id, name, applied_at) VALUES (?, ?, ?)", [migration.id, migration.name, Date.now()]);
      applied.push(migration.id);
    }
  });
  return applied;
}
