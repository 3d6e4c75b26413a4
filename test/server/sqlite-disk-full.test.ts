/**
 * The server's SQLite database on a full disk: a small tmpfs mounted for this test holds the database, and
 * a filler file takes every byte left. A write that needs space is answered 503 with the reason and
 * stores nothing of itself; the server stays up and answers reads; once the filler is removed the same
 * write succeeds, and the database file passes SQLite's integrity check. Mounting needs root (or
 * CAP_SYS_ADMIN); without it the suite is skipped with the reason (a failure under CI=true).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import type { LogInput } from "../../src/client/index.js";
import { mountSmallDisk, type SmallDisk } from "../support/small-disk.js";
import { registerSampleFlow, rejection, sqliteTarget, startTestServer, type TestServer } from "./support.js";

/** `count` log lines of `size` characters each for a run. */
const logLines = (flowRunId: string, count: number, size: number, tag: string): LogInput[] =>
  Array.from({ length: count }, (_, i) => ({ flowRunId, level: "info", message: `${tag} ${i} ${"x".repeat(size)}` }));

const mounted = mountSmallDisk(16, "disk-full");
const unavailable = "reason" in mounted ? mounted.reason : null;
const skip = unavailable !== null && process.env.CI !== "true" ? unavailable : false;

describe("SQLite on a full disk", { skip, timeout: 300_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let disk: SmallDisk | undefined;
  let file: string;
  let filler: string | undefined;

  before(async () => {
    assert.equal(unavailable, null, `under CI=true the test must be able to mount a tmpfs: ${unavailable}`);
    disk = mounted as SmallDisk;
    file = join(disk.dir, "sluice.db");
    server = await startTestServer(target, { databaseUrl: `sqlite:${file}` });
  });

  after(async () => {
    await server?.close();
    await target.cleanup();
    disk?.remove();
  });

  it("refuses a write that needs space with 503 and the reason, stores none of it, serves reads, and takes the write once space returns", async () => {
    const { client } = server;
    const { flowId } = await registerSampleFlow(client);
    const run = await client.createFlowRun({ flowId, parameters: { count: 1 } });
    await client.writeLogs(logLines(run.id, 10, 100, "before"));
    // The batch is larger than the write-ahead log has grown so far, so it needs new space.
    const wal = existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
    const batch = logLines(run.id, Math.ceil((wal + (2 << 20)) / 5000), 5000, "during");

    filler = disk!.fill();
    const refused = await rejection(client.writeLogs(batch));
    assert.equal(refused.status, 503, refused.message);
    assert.equal(refused.code, "SERVICE_UNAVAILABLE");
    assert.match(refused.message, /database .*sluice\.db cannot take this write: the disk is full/);
    assert.match(refused.message, /nothing of it was stored/);
    assert.match(refused.message, /free space on the file system holding/);
    assert.ok(
      server.logs.some((line) => line.includes('"msg":"request failed"') && line.includes("disk is full")),
      "the server logged the failed request with the reason",
    );

    // Still up, still reading: the run, its lines (none of the refused batch), the list of runs.
    assert.equal((await client.health()).status, "ok");
    assert.equal((await client.getFlowRun(run.id)).id, run.id);
    const during = await client.readLogs(run.id, { limit: 5000 });
    assert.deepEqual(
      during.items.map((l) => l.message.split(" ").slice(0, 2).join(" ")),
      Array.from({ length: 10 }, (_, i) => `before ${i}`),
    );
    assert.ok((await client.listFlowRuns({})).items.some((r) => r.id === run.id));

    // Space returns: the same batch is taken whole, and later writes go on.
    unlinkSync(filler);
    filler = undefined;
    assert.equal((await client.writeLogs(batch)).count, batch.length);
    const second = await client.createFlowRun({ flowId, parameters: { count: 2 } });
    const after = await client.readLogs(run.id, { limit: 5000 });
    assert.equal(after.items.length, 10 + batch.length);
    assert.equal((await client.getFlowRun(second.id)).id, second.id);

    await server.close();
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      assert.equal((db.prepare("SELECT count(*) AS n FROM logs").get() as { n: number }).n, 10 + batch.length);
    } finally {
      db.close();
    }
  });
});
