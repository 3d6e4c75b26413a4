/**
 * SQLite checkpoints run in a worker thread: the server's connection never checkpoints (no fsync on the
 * event loop), the worker copies the WAL back soon after writes, and a failed worker hands the job back.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { SqliteDriver } from "../../src/server/database/sqlite-driver.js";

async function withFile<T>(fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-ckpt-"));
  try {
    return await fn(join(dir, "test.db"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const pragma = async (driver: SqliteDriver, name: string): Promise<number> =>
  Number(Object.values((await driver.get<Record<string, number>>(`PRAGMA ${name}`))!)[0]);

/** About `pages` 4 KiB pages of WAL, written in many small transactions (as a busy server does). */
async function writePages(driver: SqliteDriver, pages: number): Promise<void> {
  await driver.exec("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const body = "x".repeat(3500);
  for (let i = 0; i < pages; i++) await driver.transaction((tx) => tx.run("INSERT INTO filler (body) VALUES (?)", [body]));
}

describe("SQLite checkpoints", { timeout: 60_000 }, () => {
  it("are never run by the server's connection, but by the worker", () =>
    withFile(async (file) => {
      const driver = new SqliteDriver(file, { checkpointIntervalMs: 60_000 }); // the test asks for the checkpoint
      try {
        assert.ok(driver.checkpointer, "a file database gets a checkpoint worker");
        assert.equal(await pragma(driver, "wal_autocheckpoint"), 0, "commits do not checkpoint");
        await writePages(driver, 1_300);
        const { walPages, checkpointed } = await driver.checkpointer!.checkpoint();
        assert.ok(walPages > 1_000, `the WAL grew past SQLite's own threshold without a checkpoint on the connection (${walPages} pages)`);
        assert.equal(checkpointed, walPages, "the worker copied the whole WAL back");
        assert.equal(Number((await driver.get<{ n: number }>("SELECT count(*) AS n FROM filler"))!.n), 1_300);
      } finally {
        await driver.close();
      }
      assert.equal(existsSync(`${file}-wal`), false, "closing the last connection removes the WAL");
      const reopened = new SqliteDriver(file, { checkpointIntervalMs: 0 });
      try {
        assert.equal(Number((await reopened.get<{ n: number }>("SELECT count(*) AS n FROM filler"))!.n), 1_300, "nothing was lost");
        assert.equal(reopened.checkpointer, undefined);
        assert.equal(await pragma(reopened, "wal_autocheckpoint"), 1_000, "0 leaves checkpoints to SQLite");
      } finally {
        await reopened.close();
      }
    }));

  it("follow writes within the interval", () =>
    withFile(async (file) => {
      const driver = new SqliteDriver(file, { checkpointIntervalMs: 50 });
      try {
        await writePages(driver, 5);
        await until("the worker checkpointed", () => driver.checkpointer!.stats.checkpoints > 0);
        await new Promise((r) => setTimeout(r, 500)); // one more may follow writes made during the first
        const first = driver.checkpointer!.stats.checkpoints;
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(driver.checkpointer!.stats.checkpoints, first, "no writes, no checkpoints");
        await writePages(driver, 5);
        await until("a checkpoint after the new writes", () => driver.checkpointer!.stats.checkpoints > first);
      } finally {
        await driver.close();
      }
    }));

  it("are handed back to SQLite when the worker dies", () =>
    withFile(async (file) => {
      const driver = new SqliteDriver(file, { checkpointIntervalMs: 50 });
      try {
        await writePages(driver, 10);
        await until("a first checkpoint", () => driver.checkpointer!.stats.checkpoints > 0);
        await (driver.checkpointer as unknown as { worker: Worker }).worker.terminate();
        await until("automatic checkpoints are back on", async () => (await pragma(driver, "wal_autocheckpoint")) === 1_000);
        await writePages(driver, 10);
        assert.equal(Number((await driver.get<{ n: number }>("SELECT count(*) AS n FROM filler"))!.n), 20);
      } finally {
        await driver.close();
      }
    }));

  it("in-memory databases have no WAL and no worker", async () => {
    const driver = new SqliteDriver(":memory:");
    try {
      assert.equal(driver.checkpointer, undefined);
    } finally {
      await driver.close();
    }
  });
});
