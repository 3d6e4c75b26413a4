/**
 * The short form of the server-side fault scenarios (`npm run chaos` runs the long one): a real
 * `sluice server start` and local agents. The server SIGKILLed mid-run on SQLite (and on PostgreSQL,
 * when it answers), the disk under SQLite full for a moment (when a tmpfs can be mounted), and an agent
 * SIGKILLed mid-deploy then replaced: every run must end Success with its
 * task runs and log lines, each stored once, and none of the scenario's processes left.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { agentSigkill } from "../../chaos/scenarios/agent-sigkill.js";
import { diskFull } from "../../chaos/scenarios/disk-full.js";
import { serverSigkillPostgres, serverSigkillSqlite } from "../../chaos/scenarios/server-sigkill.js";
import type { ChaosContext, ChaosRow } from "../../chaos/scenario.js";

const context: ChaosContext = { scale: "short", cutMs: 5000, log: () => undefined };
const postgresMissing = await serverSigkillPostgres.unavailable();
const mountMissing = await diskFull.unavailable();

function assertClean(row: ChaosRow): void {
  const detail = [...row.notes, ...row.leftBehind].join("\n");
  assert.equal(row.wrong, 0, `runs in a wrong final state:\n${detail}`);
  assert.equal(row.lost, 0, `task results or log lines lost:\n${detail}`);
  assert.equal(row.duplicates, 0, `log lines stored twice:\n${detail}`);
  assert.deepEqual(row.leftBehind, [], "nothing left behind");
}

describe("server-side faults (short)", { timeout: 600_000 }, () => {
  it("the server SIGKILLed mid-run on SQLite and restarted: nothing lost", { timeout: 300_000 }, async () => {
    assertClean(await serverSigkillSqlite.run(context));
  });

  it(
    "the server SIGKILLed mid-run on PostgreSQL and restarted: nothing lost",
    { timeout: 300_000, skip: postgresMissing !== null && process.env.CI !== "true" ? postgresMissing : false },
    async () => {
      assert.equal(postgresMissing, null, postgresMissing ?? "");
      assertClean(await serverSigkillPostgres.run(context));
    },
  );

  it(
    "the disk under SQLite full mid-run, then space again: writes answered 503 are sent again, nothing lost, the database intact",
    { timeout: 300_000, skip: mountMissing !== null && process.env.CI !== "true" ? mountMissing : false },
    async () => {
      assert.equal(mountMissing, null, mountMissing ?? "");
      assertClean(await diskFull.run(context));
    },
  );

  it("an agent SIGKILLed mid-deploy, then a new agent: each run executes once and none stays Submitted", { timeout: 300_000 }, async () => {
    const row = await agentSigkill.run(context);
    assertClean(row);
  });
});
