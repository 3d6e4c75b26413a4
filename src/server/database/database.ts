/**
 * Opens Sluice's database from a URL and runs the migrations:
 * - `sqlite:/path/to/file.db` (or `sqlite:relative.db`, or a bare path) — a file, created with its folder;
 * - `sqlite::memory:` — a private in-memory database (gone when closed);
 * - `postgres://user@host:5432/db` (or `postgresql://`), optionally `?schema=name` to use (and create)
 *   that schema instead of `public`.
 */
import { SluiceError, showValue } from "../../core/errors.js";
import { AgentsRepository } from "./agents-repository.js";
import { ApiKeysRepository } from "./api-keys-repository.js";
import type { Dialect, SqlDriver } from "./driver.js";
import { FlowRunsRepository } from "./flow-runs-repository.js";
import { FlowsRepository } from "./flows-repository.js";
import { LogsRepository } from "./logs-repository.js";
import { MaintenanceRepository } from "./maintenance-repository.js";
import { migrate } from "./migrations.js";
import { SchedulesRepository } from "./schedules-repository.js";
import { SecretsRepository } from "./secrets-repository.js";
import { TaskRunsRepository } from "./task-runs-repository.js";

export type DatabaseLocation = { dialect: "sqlite"; file: string } | { dialect: "postgres"; connectionString: string; schema?: string };

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Parses a database URL; errors name `server.databaseUrl` and show the accepted forms. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url === "sqlite::memory:" || url === ":memory:") return { dialect: "sqlite", file: ":memory:" };
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (file) return { dialect: "sqlite", file };
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new SluiceError("CONFIG_INVALID", `database URL ${redactUrl(url)} cannot be parsed: ${(cause as Error).message}`, {
        field: "server.databaseUrl",
        cause,
      });
    }
    const schema = parsed.searchParams.get("schema") ?? undefined;
    if (schema !== undefined && !SCHEMA_NAME.test(schema))
      throw new SluiceError(
        "CONFIG_INVALID",
        `schema ${showValue(schema)} in the database URL must be lowercase letters, digits and '_' (starting with a letter or '_')`,
        {
          field: "server.databaseUrl",
          value: schema,
        },
      );
    parsed.searchParams.delete("schema");
    return schema === undefined
      ? { dialect: "postgres", connectionString: parsed.toString() }
      : { dialect: "postgres", connectionString: parsed.toString(), schema };
  } else if (!url.includes("://")) {
    return { dialect: "sqlite", file: url };
  }
  throw new SluiceError(
    "CONFIG_INVALID",
    `database URL ${redactUrl(url)} is not supported: use sqlite:/path/file.db, sqlite::memory: or postgres://user@host:5432/database`,
    { field: "server.databaseUrl" },
  );
}

/** A URL with its password hidden, for messages. */
export const redactUrl = (url: string): string => url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");

/** Every repository over one driver. */
export class SluiceDatabase {
  readonly flows: FlowsRepository;
  readonly flowRuns: FlowRunsRepository;
  readonly taskRuns: TaskRunsRepository;
  readonly logs: LogsRepository;
  readonly agents: AgentsRepository;
  readonly schedules: SchedulesRepository;
  readonly secrets: SecretsRepository;
  readonly apiKeys: ApiKeysRepository;
  readonly maintenance: MaintenanceRepository;

  constructor(readonly driver: SqlDriver) {
    this.flows = new FlowsRepository(driver);
    this.flowRuns = new FlowRunsRepository(driver);
    this.taskRuns = new TaskRunsRepository(driver);
    this.logs = new LogsRepository(driver);
    this.agents = new AgentsRepository(driver);
    this.schedules = new SchedulesRepository(driver);
    this.secrets = new SecretsRepository(driver);
    this.apiKeys = new ApiKeysRepository(driver);
    this.maintenance = new MaintenanceRepository(driver);
  }

  get dialect(): Dialect {
    return this.driver.dialect;
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

/** Opens (creating when needed) and migrates the database at `url`. The drivers load lazily. */
export async function openDatabase(url: string): Promise<SluiceDatabase> {
  const location = parseDatabaseUrl(url);
  let driver: SqlDriver;
  if (location.dialect === "sqlite") {
    const { SqliteDriver } = await import("./sqlite-driver.js");
    driver = new SqliteDriver(location.file);
  } else {
    const { PostgresDriver } = await import("./postgres-driver.js");
    const pgDriver = new PostgresDriver(location.connectionString, location.schema === undefined ? {} : { schema: location.schema });
    driver = pgDriver;
    try {
      if (location.schema !== undefined) await pgDriver.exec(`CREATE SCHEMA IF NOT EXISTS "${location.schema}"`);
    } catch (cause) {
      await driver.close().catch(() => undefined);
      if ((cause as { code?: string }).code !== "23505" && (cause as { code?: string }).code !== "42P06") throw unreachable(url, cause);
      return openDatabase(url);
    }
  }
  try {
    await migrate(driver);
  } catch (cause) {
    await driver.close().catch(() => undefined);
    if (cause instanceof SluiceError) throw cause;
    throw unreachable(url, cause);
  }
  return new SluiceDatabase(driver);
}

const unreachable = (url: string, cause: unknown): SluiceError =>
  new SluiceError(
    "SERVICE_UNAVAILABLE",
    `the database at ${redactUrl(url)} cannot be opened: ${(cause as Error).message}. Check SLUICE__SERVER__DATABASE_URL.`,
    {
      field: "server.databaseUrl",
      cause,
    },
  );
