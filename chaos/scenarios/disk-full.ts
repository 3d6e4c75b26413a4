/**
 * The disk under the server's SQLite database full in the middle of runs: the database lives on a small
 * tmpfs of the scenario's own, and when a quarter of all steps are done a filler file takes every byte
 * left. Writes that need space are answered 503 (the disk is full, nothing stored) and the runs'
 * reporters and the agent send them again; reads go on. After a pause the filler is removed. Every run
 * must end Success with its twelve task runs and each of its log lines stored exactly once, and the
 * database must pass SQLite's integrity check afterwards.
 */
import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { mountSmallDisk, type SmallDisk } from "../../test/support/small-disk.js";
import { countRuns, openServerStage, serverRow, STEPS, waitForSteps } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

/** The tmpfs holding the database: ample for the runs, small enough to fill in a moment. */
const DISK_MB = 32;

/** SQLite's own check of the file: "ok", or what is wrong. */
function integrity(file: string): string {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return String(db.pragma("integrity_check", { simple: true }));
  } finally {
    db.close();
  }
}

export const diskFull: ChaosScenario = {
  name: "disk-full-sqlite",
  async unavailable() {
    const probe = mountSmallDisk(1, "chaos-probe");
    if ("reason" in probe) return probe.reason;
    probe.remove();
    return null;
  },
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const runs = full ? 20 : 4;
    const fullMs = full ? 10_000 : 3000;
    const disk = mountSmallDisk(DISK_MB, "chaos-disk-full") as SmallDisk;
    const file = join(disk.dir, "server.db");
    let filler: string | undefined;
    try {
      const stage = await openServerStage("disk-full", "sqlite", runs, { sqliteFile: file });
      try {
        await stage.startAgent("chaos-agent");
        const ids = await stage.createRuns(runs, 300);
        await waitForSteps(stage.client, ids, Math.ceil((runs * STEPS) / 4));
        const faultAt = Date.now();
        filler = disk.fill();
        ctx.log(`the disk under the database is full for ${fullMs} ms`);
        // Reads go on while it is full.
        const readable = await stage.client.getFlowRun(ids[0]!).then(
          () => "reads answered while the disk was full",
          (error: unknown) => `a read failed while the disk was full: ${(error as Error).message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, fullMs));
        unlinkSync(filler);
        filler = undefined;
        ctx.log("space is back");
        const outcome = await countRuns(stage.client, ids, 240_000);
        const settleMs = Date.now() - faultAt;
        const output = stage.server.stderr + stage.server.stdout;
        const refused = output.split("\n").filter((line) => line.includes('"msg":"request failed"') && line.includes("disk is full")).length;
        const otherFailures = output.split("\n").filter((line) => line.includes('"msg":"request failed"') && !line.includes("disk is full")).length;
        const leftBehind = await stage.tearDown();
        const notes = [
          `${refused} writes answered 503 (disk full) and sent again by their clients; ${otherFailures} other failed requests; ${readable}`,
          `the database's integrity check after the run: ${existsSync(file) ? integrity(file) : "no file"}`,
        ];
        const row = serverRow(`disk under SQLite full mid-run (${fullMs / 1000} s)`, runs, outcome, { settleMs, leftBehind, notes });
        // A database that fails its check, or a server that failed otherwise, makes the row wrong.
        if (!notes[1]!.endsWith(": ok") || otherFailures > 0) row.wrong++;
        return row;
      } catch (error) {
        await stage.tearDown().catch(() => undefined);
        throw error;
      }
    } finally {
      if (filler) unlinkSync(filler);
      disk.remove();
    }
  },
};
