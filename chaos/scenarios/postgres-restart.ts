/**
 * PostgreSQL restarted under a running server: a PostgreSQL of the scenario's own (initdb into a temporary
 * directory, started on a free port; never the shared test instance) is stopped in fast mode when a quarter
 * of all steps are done and started again after a pause. Meanwhile the server's requests fail (pooled
 * connections die with the restart); the runs' reporters and the agent try again, and the server takes new
 * connections once PostgreSQL answers. Every run must end Success with its twelve task runs and each of its
 * log lines stored exactly once.
 */
import pg from "pg";
import { postgresBin, postgresProcessesOf, PrivatePostgres, privatePostgresUnavailable } from "../../test/support/private-postgres.js";
import { countRuns, openServerStage, serverRow, STEPS, waitForSteps } from "../server-harness.js";
import type { ChaosContext, ChaosRow, ChaosScenario } from "../scenario.js";

/** The server's connections to PostgreSQL now (new ones after the restart prove it reconnected). */
async function backends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    );
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

export const postgresRestart: ChaosScenario = {
  name: "postgres-restart",
  unavailable: privatePostgresUnavailable,
  async run(ctx: ChaosContext): Promise<ChaosRow> {
    const full = ctx.scale === "full";
    const runs = full ? 20 : 4;
    const downMs = full ? 5000 : 2000;
    const cluster = await PrivatePostgres.start(postgresBin()!);
    ctx.log(`PostgreSQL of the scenario on 127.0.0.1:${cluster.port}`);
    try {
      const stage = await openServerStage("postgres-restart", "postgres", runs, { postgresUrl: cluster.url });
      let stopping = false;
      let died: string | undefined;
      try {
        await stage.startAgent("chaos-agent");
        const ids = await stage.createRuns(runs, 300);
        await waitForSteps(stage.client, ids, Math.ceil((runs * STEPS) / 4));
        const server = stage.server;
        void server.done.then((result) => {
          if (stopping) return;
          died = `the server exited (${result.code ?? result.signal}) with PostgreSQL restarted: ${result.stderr.slice(-6000)}`;
          ctx.log(died);
        });
        const faultAt = Date.now();
        ctx.log(`stopping PostgreSQL (fast) for ${downMs} ms`);
        await cluster.stopServer("fast");
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await cluster.startServer();
        ctx.log("PostgreSQL started again");
        const outcome = await countRuns(stage.client, ids, 240_000);
        const settleMs = Date.now() - faultAt;
        const notes: string[] = died === undefined ? [] : [died];
        const output = `${stage.server.stdout}${stage.server.stderr}`;
        const leads = output.split("this server now runs the services").length - 1;
        const failed = output.split('"msg":"request failed"').length - 1;
        notes.push(`the server took the services ${leads} times (once at start, once after the restart) and answered ${failed} requests with a 5xx`);
        notes.push(`the server held ${await backends(cluster.url)} connections after the restart; PostgreSQL was down ${downMs} ms`);
        stopping = true;
        const leftBehind = await stage.tearDown();
        await cluster.destroy();
        leftBehind.push(...postgresProcessesOf(cluster.dir));
        return serverRow(`PostgreSQL restarted mid-run (down ${downMs / 1000} s)`, runs, outcome, {
          settleMs,
          leftBehind,
          notes,
        });
      } catch (error) {
        stopping = true;
        await stage.tearDown().catch(() => undefined);
        throw error;
      }
    } finally {
      await cluster.destroy();
    }
  },
};
