/**
 * SIGKILL of the server in the middle of runs, on SQLite and on PostgreSQL, then a restart on the same
 * port and database: the runs' own processes keep running, their reporters hold states and log lines
 * while the server is gone and send them when it is back. Every run must end Success with its twelve task
 * runs and each of its log lines stored exactly once.
 */
import { countRuns, openServerStage, postgresUnavailable, serverRow, STEPS, type Database } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

function serverSigkill(database: Database): ChaosScenario {
  return {
    name: `server-sigkill-${database}`,
    unavailable: async () => (database === "postgres" ? postgresUnavailable() : null),
    async run(ctx: ChaosContext): Promise<ChaosRow> {
      const full = ctx.scale === "full";
      const runs = full ? 20 : 4;
      const stage = await openServerStage(`server-kill-${database}`, database, runs);
      try {
        await stage.startAgent("chaos-agent");
        const ids = await stage.createRuns(runs, 300);
        // Mid-run: a quarter of all steps done.
        const quarter = Math.ceil((runs * STEPS) / 4);
        for (;;) {
          const done = await Promise.all(ids.map(async (id) => (await stage.client.listTaskRuns(id, { state: ["Success"], limit: 1000 })).items.length));
          if (done.reduce((a, b) => a + b, 0) >= quarter) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const faultAt = Date.now();
        ctx.log(`SIGKILL server ${stage.server.child.pid}`);
        stage.server.child.kill("SIGKILL");
        await stage.server.done;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await stage.startServer();
        ctx.log("server restarted");
        const outcome = await countRuns(stage.client, ids, 240_000);
        const settleMs = Date.now() - faultAt;
        const leftBehind = await stage.tearDown();
        return serverRow(`SIGKILL of the server mid-run (${database === "sqlite" ? "SQLite" : "PostgreSQL"})`, runs, outcome, {
          settleMs,
          leftBehind,
          notes: [],
        });
      } catch (error) {
        await stage.tearDown().catch(() => undefined);
        throw error;
      }
    },
  };
}

export const serverSigkillSqlite = serverSigkill("sqlite");
export const serverSigkillPostgres = serverSigkill("postgres");
