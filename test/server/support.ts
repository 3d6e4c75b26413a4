/**
 * Helpers of the server tests: a database target (SQLite files or PostgreSQL schemas, one per server so
 * parallel test files never collide), and a server started on port 0 with a client and captured logs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadConfig, type SluiceConfig } from "../../src/config/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { createClient, type SluiceClient } from "../../src/client/index.js";
import { services } from "../support/services.js";

export interface DatabaseTarget {
  name: "sqlite" | "postgres";
  /** A fresh, empty database URL. */
  newDatabaseUrl(): Promise<string>;
  /** Drops everything the target created. */
  cleanup(): Promise<void>;
}

export function sqliteTarget(): DatabaseTarget {
  let dir: string | undefined;
  let n = 0;
  return {
    name: "sqlite",
    async newDatabaseUrl() {
      dir ??= await mkdtemp(join(tmpdir(), "sluice-sqlite-"));
      return `sqlite:${join(dir, `db-${++n}.db`)}`;
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One schema per database URL in the test database; all dropped at cleanup. */
export function postgresTarget(): DatabaseTarget {
  const schemas: string[] = [];
  return {
    name: "postgres",
    newDatabaseUrl() {
      const schema = `sluice_test_${process.pid}_${randomBytes(4).toString("hex")}`;
      schemas.push(schema);
      const url = new URL(services.postgresUrl);
      url.searchParams.set("schema", schema);
      return Promise.resolve(url.toString());
    },
    async cleanup() {
      if (schemas.length === 0) return;
      const client = new pg.Client({ connectionString: services.postgresUrl });
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestServer {
  server: RunningServer;
  client: SluiceClient;
  config: SluiceConfig;
  home: string;
  databaseUrl: string;
  /** Every log line the server wrote (JSON text). */
  logs: string[];
  /** Closes the server (not the database files: the target cleans those). */
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Reuse this database (restart tests); default: a fresh one from the target. */
  databaseUrl?: string;
  /** Reuse this home (keeps <home>/secret.key). */
  home?: string;
  /** Extra SLUICE__* variables. */
  env?: Record<string, string>;
  apiKey?: string;
  port?: number;
}

export async function startTestServer(target: DatabaseTarget, options: TestServerOptions = {}): Promise<TestServer> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), "sluice-home-")));
  const databaseUrl = options.databaseUrl ?? (await target.newDatabaseUrl());
  const config = loadConfig({
    env: { SLUICE__HOME: home, SLUICE__SERVER__DATABASE_URL: databaseUrl, SLUICE__LOGGING__LEVEL: "debug", ...options.env },
    file: false,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  const server = await startServer({ config, port: options.port ?? 0, services: false, logStream });
  const client = createClient({ url: server.url, apiKey: options.apiKey, retry: { attempts: 2, baseDelayMs: 20 } });
  return {
    server,
    client,
    config,
    home,
    databaseUrl,
    logs,
    close: () => server.close(),
  };
}

/** Registers a small flow and answers its id (and the flow). */
export async function registerSampleFlow(client: SluiceClient, name = `flow-${randomBytes(3).toString("hex")}`, labels: string[] = []) {
  return client.registerFlow({
    name,
    environment: { type: "LocalEnvironment", labels, metadata: {} },
    storage: { type: "ModuleStorage", module: "./flows.js" },
    parameterSchema: {
      type: "object",
      properties: { count: { type: "integer", minimum: 1 }, mode: { type: "string", enum: ["fast", "slow"] } },
      required: ["count"],
      additionalProperties: false,
    },
    parameterDefaults: { mode: "fast" },
    taskGraph: {
      tasks: [
        { key: "extract", name: "extract", upstream: [], mapped: false },
        { key: "load", name: "load", upstream: ["extract"], mapped: true },
      ],
    },
  });
}

/** Rejects with the error a promise rejected with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { status?: number; code?: string; field?: string; fields?: { field: string }[] }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail, it succeeded");
}
