/**
 * Where tasks run, and what happens when a worker dies: pinning with work stealing off, a worker killed
 * with SIGKILL in the middle of a task (another worker takes the task over and the run still succeeds),
 * and a pinned task whose worker died before taking it (it falls back to the shared queue).
 *
 * Workers run one task at a time here (concurrency 1), so a map's first tasks spread over both workers
 * and placement is decided by the executor, not by which worker happened to fetch first.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { RunEvent } from "../../src/core/events.js";
import { createLogger } from "../../src/core/logger.js";
import { holdFlow, pairFlow, trailsFlow } from "../support/distributed-flows.js";
import { startWorkerProcess, useWorkerPool, type WorkerProcess } from "../support/distributed-workers.js";
import { serviceSuite, services } from "../support/services.js";

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "info" as const };

await serviceSuite(["redis"], "DistributedExecutor: placement and dead workers", () => {
  const pool = useWorkerPool("placement", 2, { redisUrl: services.redisUrl, concurrency: 1 });
  const { queue, workers } = pool;
  const executor = pool.executor;
  const live = (): WorkerProcess[] => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);

  it("with work stealing off, keeps each chain of mapped tasks on the worker that ran its first task", { timeout: 60_000 }, async () => {
    const result = await trailsFlow.run({ ...quiet, parameters: { waits: Array.from({ length: 8 }, () => 80) }, executor: executor({ workStealing: false }) });
    assert.equal(result.state.name, "Success", result.state.message);
    const trails = result.value as number[][];
    assert.equal(new Set(trails.map((t) => t[0])).size, 2, "the first tasks spread over both workers");
    // 16 placements: with no pinning, each would stay on its chain's worker only by chance.
    for (const trail of trails) assert.ok(trail.length === 3 && trail.every((pid) => pid === trail[0]), `a chain moved between workers: ${trail.join(" → ")}`);
  });

  it("survives a worker killed with SIGKILL in the middle of a task: another worker takes it over and the run succeeds", { timeout: 60_000 }, async () => {
    let killed: WorkerProcess | undefined;
    const result = await holdFlow.run({
      ...quiet,
      parameters: { ms: 1500 },
      executor: executor({ lockDurationMs: 2000, stalledIntervalMs: 500 }),
      observers: [
        (e: RunEvent) => {
          if (killed || e.type !== "log" || e.record.message !== "holding") return;
          killed = workers.find((w) => w.pid === e.record.fields?.pid);
          killed?.child.kill("SIGKILL");
        },
      ],
    });
    assert.ok(killed, "the task reported the worker running it");
    assert.equal(await killed.exited, null, "the worker died of SIGKILL");
    assert.equal(result.state.name, "Success", result.state.message);
    const value = result.value as { finishedBy: number; afterPid: number };
    const survivor = live()[0]!;
    assert.equal(value.finishedBy, survivor.pid, "the surviving worker ran the task again");
    assert.notEqual(value.finishedBy, killed.pid);
    assert.equal(result.taskRun("hold")!.attempts, 1, "the take-over is not a retry: the runner saw one attempt");
    assert.equal(result.taskRun("after-hold")!.state.name, "Success");
  });

  it("with work stealing off, sends a task pinned to a worker that died to the shared queue", { timeout: 60_000 }, async () => {
    workers.push(await startWorkerProcess({ redisUrl: services.redisUrl, queue, concurrency: 1 }));
    assert.equal(live().length, 2);
    let killedPid: number | undefined;
    let killedAt = 0;
    const result = await pairFlow.run({
      ...quiet,
      executor: executor({ workStealing: false }),
      observers: [
        (e: RunEvent) => {
          // kill the worker that ran `first` right when it succeeds: `next` is then pinned to a dead worker
          if (e.type === "task-run-state" && e.taskKey === "first" && e.state.name === "Success") {
            killedPid = (e.state.result as number[])[0];
            killedAt = Date.now();
            workers.find((w) => w.pid === killedPid)?.child.kill("SIGKILL");
          }
        },
      ],
    });
    assert.equal(result.state.name, "Success", result.state.message);
    const trail = result.value as number[];
    const survivor = live()[0]!;
    assert.deepEqual(trail, [killedPid, survivor.pid]);
    assert.ok(Date.now() - killedAt >= 3000, "the task waited for the dead worker's heartbeat to age before moving");
  });

  it("a worker stopped with SIGTERM finishes its running task, then exits 0", { timeout: 60_000 }, async () => {
    workers.push(await startWorkerProcess({ redisUrl: services.redisUrl, queue, concurrency: 1 })); // takes the downstream task
    let stopped: WorkerProcess | undefined;
    const result = await holdFlow.run({
      ...quiet,
      parameters: { ms: 1000 },
      executor: executor(),
      observers: [
        (e: RunEvent) => {
          if (stopped || e.type !== "log" || e.record.message !== "holding") return;
          stopped = workers.find((w) => w.pid === e.record.fields?.pid);
          stopped?.child.kill("SIGTERM");
        },
      ],
    });
    assert.ok(stopped);
    assert.equal(result.state.name, "Success", result.state.message);
    assert.equal((result.value as { finishedBy: number }).finishedBy, stopped.pid, "the stopping worker finished the task it had");
    assert.equal(await stopped.exited, 0);
    assert.match(stopped.output(), /SIGTERM, finishing running tasks/);
  });
});
