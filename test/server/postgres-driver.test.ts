/**
 * The PostgreSQL driver across a restart of PostgreSQL (a private cluster, stopped in fast mode: every
 * connection is closed and open transactions roll back). A connection lent to a transaction that dies
 * must fail that transaction with the database's error and nothing else: no "error" event left unheard
 * (which would end the server), no half-written rows, and no dead connection handed out again once
 * PostgreSQL is back.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PostgresDriver } from "../../src/server/database/postgres-driver.js";
import { postgresBin, PrivatePostgres, privatePostgresUnavailable } from "../support/private-postgres.js";

const POOL = 3;

/** Resolves once `run` reached the point where it calls `reached()`. */
function checkpoint(): { reached: () => void; wait: Promise<void>; release: () => void; released: Promise<void> } {
  let reached!: () => void;
  let release!: () => void;
  const wait = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return { reached, wait, release, released };
}

/** The backend pids of `count` transactions run at once: each holds its own connection for a moment. */
async function concurrentBackends(driver: PostgresDriver, count: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      driver.transaction(async (tx) => (await tx.get<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.3) AS slept"))!.pid),
    ),
  );
}

async function rowCount(driver: PostgresDriver): Promise<number> {
  return (await driver.get<{ n: number }>("SELECT count(*)::int AS n FROM restart_probe"))!.n;
}

const unavailable = await privatePostgresUnavailable();
const skip = unavailable !== null && process.env.CI !== "true" ? `needs PostgreSQL's programs: ${unavailable}` : false;

describe("PostgresDriver across a PostgreSQL restart", { skip }, () => {
  let cluster: PrivatePostgres | undefined;
  let driver: PostgresDriver;
  let unexpected: unknown[] = [];
  const record = (error: unknown): void => {
    unexpected.push(error);
  };

  before(async () => {
    assert.equal(unavailable, null, `under CI=true a private PostgreSQL must be available: ${unavailable}`);
    cluster = await PrivatePostgres.start(postgresBin()!);
    driver = new PostgresDriver(cluster.url, { maxConnections: POOL });
    await driver.exec("CREATE TABLE restart_probe (n int)");
    // An "error" event nobody listens to is thrown by the emitter: it surfaces here instead of ending the
    // test process, and each test asserts there was none.
    process.on("uncaughtException", record);
  });

  after(async () => {
    process.off("uncaughtException", record);
    await driver?.close().catch(() => undefined);
    await cluster?.destroy();
  });

  /** Stops PostgreSQL while `hold` keeps a transaction at its checkpoint, then starts it again. */
  async function restartDuring(hold: Promise<void>): Promise<void> {
    await hold;
    await cluster!.stopServer("fast");
    // While it is down a request fails at once with a connection error; the driver does not hang.
    await assert.rejects(driver.get("SELECT 1"), /ECONNREFUSED|connect|terminat|shut/i);
  }

  async function afterRestart(): Promise<void> {
    await cluster!.startServer();
    // As many transactions at once as the pool has connections: every one is a live connection, so no
    // connection that died in the restart went back to the pool.
    const pids = await concurrentBackends(driver, POOL);
    assert.equal(new Set(pids).size, POOL, `distinct live connections: ${pids.join(", ")}`);
    assert.deepEqual(unexpected, [], "no error escaped the driver");
  }

  it("a connection that dies while lent between two statements fails its transaction and rolls back", async () => {
    unexpected = [];
    await concurrentBackends(driver, POOL); // the pool holds idle connections that die too
    const point = checkpoint();
    const transaction = driver.transaction(async (tx) => {
      await tx.run("INSERT INTO restart_probe VALUES (1)");
      point.reached();
      await point.released; // nothing in flight: the connection's death arrives as an "error" event
      await tx.run("INSERT INTO restart_probe VALUES (2)");
    });
    const outcome = transaction.then(
      () => "committed",
      (error: unknown) => error,
    );
    await restartDuring(point.wait);
    // Give the closed socket's events time to arrive while the connection is still lent.
    await new Promise((resolve) => setTimeout(resolve, 300));
    point.release();
    const error = await outcome;
    assert.ok(error instanceof Error, `the transaction failed (got ${String(error)})`);
    await afterRestart();
    assert.equal(await rowCount(driver), 0, "the first insert was rolled back with the transaction");
  });

  it("a connection that dies during a statement fails its transaction with the database's error", async () => {
    unexpected = [];
    const point = checkpoint();
    const transaction = driver.transaction(async (tx) => {
      await tx.run("INSERT INTO restart_probe VALUES (3)");
      point.reached();
      await tx.get("SELECT pg_sleep(60) AS slept");
    });
    const outcome = transaction.then(
      () => "committed",
      (error: unknown) => error,
    );
    await restartDuring(point.wait.then(() => new Promise((resolve) => setTimeout(resolve, 200))));
    const error = await outcome;
    assert.ok(error instanceof Error, `the transaction failed (got ${String(error)})`);
    assert.match(error.message, /terminat|Connection terminated|shut/i);
    await afterRestart();
    assert.equal(await rowCount(driver), 0);
  });

  it("transactions waiting for a connection when it dies fail or run, and none hangs", async () => {
    unexpected = [];
    const point = checkpoint();
    const holders = Array.from({ length: POOL }, (_, i) =>
      driver.transaction(async (tx) => {
        await tx.run("INSERT INTO restart_probe VALUES (?)", [10 + i]);
        if (i === 0) point.reached();
        await tx.get("SELECT pg_sleep(60) AS slept");
      }),
    );
    // More transactions than connections: these wait in the pool's queue and get a connection handed
    // over as the holders' connections die.
    const waiting = Array.from({ length: 4 }, (_, i) => driver.transaction(async (tx) => tx.run("INSERT INTO restart_probe VALUES (?)", [20 + i])));
    const settled = Promise.allSettled([...holders, ...waiting]);
    await restartDuring(point.wait.then(() => new Promise((resolve) => setTimeout(resolve, 200))));
    const results = await settled;
    for (const [i, result] of results.slice(0, POOL).entries()) assert.equal(result.status, "rejected", `holder ${i} failed with the restart`);
    const committed = results.slice(POOL).filter((r) => r.status === "fulfilled").length;
    await afterRestart();
    // A waiting transaction either committed before the stop or failed whole: the rows are exactly those committed.
    assert.equal(await rowCount(driver), committed);
  });
});
