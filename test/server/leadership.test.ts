/**
 * Two servers on one PostgreSQL database, each its own process: the services run on one of them only (no
 * schedule slot runs twice, a zombie is failed once), and when the leader is killed (SIGKILL) they move to
 * the other within the leader retry interval while runs keep going through it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type SluiceClient } from "../../src/client/index.js";
import { openDatabase } from "../../src/server/database/index.js";
import { serviceSuite } from "../support/services.js";
import { postgresTarget, registerSampleFlow } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/server-process.ts", import.meta.url));
const RETRY_MS = 300;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ServerProcess {
  child: ChildProcess;
  url: string;
  client: SluiceClient;
  /** Log lines (parsed) so far. */
  lines: { msg?: string; time?: number; count?: number }[];
  leads(): boolean;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function spawnServer(env: Record<string, string>, started: ChildProcess[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--conditions=sluice-source", "--import", "tsx", FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  started.push(child);
  const lines: ServerProcess["lines"] = [];
  let rest = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (rest + chunk.toString("utf8")).split("\n");
    rest = parts.pop()!;
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as ServerProcess["lines"][number]);
      } catch {
        // not a log line
      }
    }
  });
  // Generous: the child compiles the sources (tsx) on a machine that may be busy.
  const url = await until("the server to listen", () => (lines.find((l) => l.msg === "Sluice server listening") as { url?: string } | undefined)?.url, 90_000);
  const leads = () => {
    const changes = lines.filter((l) => l.msg?.includes("runs the services") || l.msg?.includes("stopped running the services"));
    return changes.at(-1)?.msg?.includes("now runs the services") ?? false;
  };
  return { child, url, client: createClient({ url, retry: { attempts: 3, baseDelayMs: 50 } }), lines, leads };
}

await serviceSuite(["postgres"], "two servers on one PostgreSQL database", () => {
  describe("services leadership", { timeout: 300_000 }, () => {
    it("runs the services on one server, and moves them when it is killed", async (t) => {
      const target = postgresTarget();
      const home = await mkdtemp(join(tmpdir(), "sluice-leader-"));
      const databaseUrl = await target.newDatabaseUrl();
      const env = {
        SLUICE__HOME: home,
        SLUICE__SERVER__DATABASE_URL: databaseUrl,
        SLUICE__SERVER__ENCRYPTION_KEY: "leadership-test-key",
        SLUICE__SERVER__SERVICE_INTERVAL_MS: "100",
        SLUICE__SERVER__LEADER_RETRY_MS: String(RETRY_MS),
        SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "1500",
        SLUICE__SERVER__SCHEDULER_LOOKAHEAD_MS: "0",
        SLUICE__LOGGING__LEVEL: "info",
      };
      const servers: ServerProcess[] = [];
      const children: ChildProcess[] = [];
      try {
        servers.push(await spawnServer(env, children));
        await until("the first server to lead", () => servers[0]!.leads());
        servers.push(await spawnServer(env, children));
        const [a, b] = servers as [ServerProcess, ServerProcess];
        await sleep(3 * RETRY_MS);
        assert.equal(b.leads(), false, "the second server follows while the first leads");

        const flow = await registerSampleFlow(a.client);
        const schedule = await b.client.createSchedule({ flowId: flow.flowId, intervalMs: 1000, parameters: { count: 1 } });
        const zombie = await a.client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
        await b.client.setFlowRunState(zombie.id, { name: "Running" });

        await until("the zombie to be failed", async () => (await b.client.getFlowRun(zombie.id)).state.name === "Failed");
        await sleep(2500); // a few slots and many service ticks on both servers
        const zombieStates = await a.client.listFlowRunStates(zombie.id);
        assert.equal(zombieStates.filter((s) => s.name === "Failed").length, 1, "the zombie was failed once");
        assert.equal(
          b.lines.filter((l) => l.msg?.includes("created") && l.msg.includes("scheduled flow runs")).length,
          0,
          "the follower's scheduler never ran",
        );

        // The leader dies without a word.
        const killedAt = Date.now();
        a.child.kill("SIGKILL");
        await until("the second server to lead", () => b.leads(), 15_000);
        const takeover = Date.now() - killedAt;
        assert.ok(takeover < 5_000, `took over in ${takeover} ms`);
        t.diagnostic(`the follower took over ${takeover} ms after the leader was killed (retry interval ${RETRY_MS} ms)`);

        // The services run on the survivor: new slots, a new zombie failed.
        const afterKill = Date.now();
        await until("a slot after the kill", async () =>
          (await b.client.listFlowRuns({ scheduleId: schedule.id, limit: 100 })).items.find((r) => Date.parse(r.scheduledStart) > afterKill),
        );
        const zombie2 = await b.client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
        await b.client.setFlowRunState(zombie2.id, { name: "Running" });
        await until("the second zombie to be failed", async () => (await b.client.getFlowRun(zombie2.id)).state.name === "Failed");

        // Runs keep going through the survivor.
        const run = await b.client.createFlowRun({ flowId: flow.flowId, parameters: { count: 2 } });
        await b.client.setFlowRunState(run.id, { name: "Running" });
        await b.client.setTaskRunStates(run.id, [{ taskKey: "extract", state: { name: "Success" } }]);
        await b.client.setFlowRunState(run.id, { name: "Success" });
        assert.equal((await b.client.getFlowRun(run.id)).state.name, "Success");

        // No slot ran twice: every run of the schedule has its own slot.
        const db = await openDatabase(databaseUrl);
        try {
          const duplicates = await db.driver.all<{ slot: number; n: number }>(
            "SELECT schedule_slot AS slot, COUNT(*) AS n FROM flow_runs WHERE schedule_id = ? GROUP BY schedule_slot HAVING COUNT(*) > 1",
            [schedule.id],
          );
          assert.deepEqual(duplicates, []);
          const slots = await db.driver.get<{ n: number }>("SELECT COUNT(*) AS n FROM flow_runs WHERE schedule_id = ?", [schedule.id]);
          assert.ok(Number(slots!.n) >= 3, `${slots!.n} slots created`);
        } finally {
          await db.close();
        }
      } finally {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await target.cleanup();
        await rm(home, { recursive: true, force: true });
      }
    });
  });
});
