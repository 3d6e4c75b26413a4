/**
 * The distributed executor against real Redis and real `sluice worker` processes: scale (1,000 tasks on
 * two workers), large values through the result store, placement with work stealing off, clean-up, and
 * the failures that must end a run with a clear reason instead of hanging.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { type SluiceError } from "../../src/core/errors.js";
import type { RunEvent } from "../../src/core/events.js";
import { createLogger } from "../../src/core/logger.js";
import { MemoryCacheStore } from "../../src/core/cache.js";
import { compileRedis, connectRedis, DistributedExecutor, inspectQueue, type QueueInspection } from "../../src/executors/distributed/index.js";
import { runKeys, runTag } from "../../src/executors/distributed/keys.js";
import { executorFromKind } from "../../src/executors/registry.js";
import { LocalDirectoryResultStore, type ResultRef, type ResultStore } from "../../src/storage/results/index.js";
import { bigFlow, cachedFlow, functionInputFlow, holdFlow, manyFlow, unloadableFlow, whereFlow } from "../support/distributed-flows.js";
import { keysOf, uniqueQueue, useWorkerPool } from "../support/distributed-workers.js";
import { serviceSuite, services } from "../support/services.js";

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "info" as const };

/** A local directory store that counts what the flow run's process puts and gets. */
class CountingStore implements ResultStore {
  readonly kind = "local";
  readonly inner: LocalDirectoryResultStore;
  puts = 0;
  gets = 0;
  constructor(dir: string) {
    this.inner = new LocalDirectoryResultStore({ dir });
  }
  put(key: string, data: string): Promise<ResultRef> {
    this.puts++;
    return this.inner.put(key, data);
  }
  get(ref: ResultRef): Promise<string> {
    this.gets++;
    return this.inner.get(ref);
  }
  delete(prefix: string): Promise<void> {
    return this.inner.delete(prefix);
  }
  location() {
    return this.inner.location();
  }
}

await serviceSuite(["redis"], "DistributedExecutor on 2 worker processes", () => {
  const pool = useWorkerPool("dist", 2, { redisUrl: services.redisUrl, concurrency: 8 });
  const { queue, resultDir, workers } = pool;
  const executor = pool.executor;

  it("runs a flow of 1,000 tasks on both workers, recording every task state, and leaves nothing in Redis", { timeout: 120_000 }, async () => {
    const finals = new Map<string, string>();
    const result = await manyFlow.run({
      ...quiet,
      parameters: { n: 998 },
      executor: executor(),
      observers: [
        (e: RunEvent) => {
          if (e.type === "task-run-state") finals.set(`${e.taskKey}[${e.mapIndex}]`, e.state.name);
        },
      ],
    });
    assert.equal(result.state.name, "Success", result.state.message);
    const executed = result.taskRuns.filter((t) => t.state.name !== "Mapped");
    assert.equal(executed.length, 1000);
    assert.ok(executed.every((t) => t.state.name === "Success" && t.attempts === 1));
    assert.equal(finals.size, 1001, "a state event for every task run (and the mapped parent)");
    assert.ok([...finals.values()].every((s) => s === "Success" || s === "Mapped"));
    const value = result.value as { count: number; sum: number; pids: number[] };
    assert.equal(value.count, 998);
    assert.equal(value.sum, (998 * 999) / 2);
    assert.deepEqual(value.pids, workers.map((w) => w.pid).sort(), "both worker processes ran tasks, and nothing ran in the test process");
    const left = [...(await keysOf(services.redisUrl, queue)).keys()];
    assert.deepEqual(left, [`${queue}:workers`], "only the workers' heartbeats remain after the run");
  });

  it("sends results and inputs over the threshold through the result store, and deletes them after the run", { timeout: 60_000 }, async () => {
    const store = new CountingStore(resultDir);
    const flowRunId = `big-${Date.now()}`;
    let storedDuringRun = 0;
    const result = await bigFlow.run({
      ...quiet,
      flowRunId,
      parameters: { n: 20 },
      executor: executor({ resultStore: store, resultThresholdBytes: 1024 }),
      observers: [
        (e: RunEvent) => {
          if (e.type === "task-run-state" && e.taskKey === "lengths" && e.state.name === "Running") {
            storedDuringRun = readdirSync(join(resultDir, queue, runTag(flowRunId))).length;
          }
        },
      ],
    });
    assert.equal(result.state.name, "Success", result.state.message);
    const value = result.value as { rows: { i: number; text: string }[]; lengths: number[] };
    assert.deepEqual(
      value.rows.map((r) => r.i),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.ok(value.rows.every((r) => r.text.length === 2000 && r.text.startsWith(`${r.i}:x`)));
    assert.deepEqual(
      value.lengths,
      Array.from({ length: 20 }, () => 2000),
    );
    assert.equal(store.gets, 20, "each large child result was fetched from the store");
    assert.equal(store.puts, 1, "the reduce's large input was stored once");
    assert.ok(storedDuringRun >= 20, `the store held the children's results during the run (${storedDuringRun} files)`);
    assert.equal(existsSync(join(resultDir, queue, runTag(flowRunId))), false, "the run's values are deleted at its end");
  });

  it("caches results as the local executors do: a second run takes the first run's result without queuing it", { timeout: 30_000 }, async () => {
    const cacheStore = new MemoryCacheStore();
    const first = await cachedFlow.run({ ...quiet, cacheStore, parameters: { label: "a" }, executor: executor() });
    const second = await cachedFlow.run({ ...quiet, cacheStore, parameters: { label: "a" }, executor: executor() });
    assert.equal(first.state.name, "Success", first.state.message);
    assert.ok(
      workers.some((w) => w.pid === (first.value as { pid: number }).pid),
      "the first run ran on a worker",
    );
    assert.deepEqual(second.value, first.value);
    assert.equal(second.taskRun("stamp")!.state.message, "Result taken from the cache");
  });

  it("reports the live workers and the attempts waiting and running (inspectQueue)", { timeout: 30_000 }, async () => {
    const conn = await connectRedis(compileRedis(services.redisUrl), "test-inspect");
    try {
      let seen: QueueInspection | undefined;
      let looking: Promise<void> | undefined;
      const result = await holdFlow.run({
        ...quiet,
        parameters: { ms: 800 },
        executor: executor(),
        observers: [
          (e: RunEvent) => {
            if (e.type === "log" && e.record.message === "holding") looking ??= inspectQueue(conn, queue).then((i) => void (seen = i));
          },
        ],
      });
      await looking;
      assert.equal(result.state.name, "Success", result.state.message);
      assert.deepEqual(seen?.workers.sort(), workers.map((w) => w.id).sort());
      assert.equal(seen?.active, 1);
      assert.equal(seen?.waiting, 0);
      assert.equal(seen?.runs.length, 1);
    } finally {
      conn.disconnect();
    }
  });

  it("removes the leftovers of a run whose flow-run process died without cleaning up", { timeout: 30_000 }, async () => {
    const conn = await connectRedis(compileRedis(services.redisUrl), "test-orphan");
    try {
      const tag = "orphan-run";
      const keys = runKeys(queue, tag);
      const { Queue } = await import("bullmq");
      const orphanQueue = new Queue(keys.queue, { connection: conn, prefix: queue });
      await orphanQueue.add("never", { x: 1 }, { delay: 60_000 }); // delayed: no worker takes it meanwhile
      await orphanQueue.close();
      await conn.multi().set(keys.meta, "{}").xadd(keys.out, "*", "k", "i").sadd(`${queue}:runs`, tag).exec(); // no alive key: its process is gone
      const deadline = Date.now() + 10_000;
      let left: string[] = [];
      do {
        await new Promise((r) => setTimeout(r, 250));
        left = [...(await keysOf(services.redisUrl, queue)).keys()].filter((k) => k.includes(tag));
      } while (left.length > 0 && Date.now() < deadline);
      assert.deepEqual(left, [], "a worker removed the dead run's keys and queue");
      assert.equal(await conn.sismember(`${queue}:runs`, tag), 0);
    } finally {
      conn.disconnect();
    }
  });

  it("fails the task with FLOW_LOAD_FAILED naming the module when workers cannot load the flow, without retrying or hanging", { timeout: 30_000 }, async () => {
    const started = Date.now();
    const result = await unloadableFlow.run({ ...quiet, executor: executor() });
    assert.equal(result.state.name, "Failed");
    const run = result.taskRun("refuses")!;
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "FLOW_LOAD_FAILED");
    assert.match(run.state.error!.message, /\/nonexistent\/sluice-missing-flow\.ts does not exist/);
    assert.equal(run.attempts, 1, "a flow that cannot load is not retried");
    assert.ok(Date.now() - started < 10_000);
    // A worker closing its consumers as the run ends may write a queue key after the run removed its queues;
    // the worker then removes them again, so they go within moments (and never stay).
    let left: string[] = [];
    const deadline = Date.now() + 10_000;
    do {
      left = [...(await keysOf(services.redisUrl, queue)).keys()];
      if (left.length > 1) await new Promise((r) => setTimeout(r, 100));
    } while (left.length > 1 && Date.now() < deadline);
    assert.deepEqual(left, [`${queue}:workers`], "a failed run is cleaned up too");
  });

  it("fails a task whose input cannot be sent as JSON, naming the task and the path", async () => {
    const result = await functionInputFlow.run({ ...quiet, executor: executor() });
    const run = result.taskRun("takes-client")!;
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "NOT_SERIALIZABLE");
    assert.match(run.state.error!.message, /^task "takes-client": input\.client is a function \(client\); .*the distributed executor must be JSON data/);
  });

  it("ends an attempt nobody takes as TimedOut after taskTimeoutMs, and warns that no worker listens", { timeout: 30_000 }, async () => {
    const events: RunEvent[] = [];
    const result = await whereFlow.run({
      ...quiet,
      executor: executor({ queuePrefix: uniqueQueue("empty"), taskTimeoutMs: 500 }),
      observers: [(e) => events.push(e)],
    });
    assert.equal(result.state.name, "Failed");
    assert.equal(result.taskRun("where")!.state.name, "TimedOut");
    assert.match(result.taskRun("where")!.state.message ?? "", /got no result from a worker within 500 ms \(taskTimeoutMs/);
    const warning = events.find((e) => e.type === "log" && e.record.level === "warn");
    assert.match(warning?.type === "log" ? warning.record.message : "", /no worker is listening on queue "t-empty-[0-9a-f]+"/);
  });
});

await serviceSuite(["redis"], "DistributedExecutor: unusable brokers", () => {
  it("fails the run fast with a reason naming the URL when Redis cannot be reached", { timeout: 20_000 }, async () => {
    const started = Date.now();
    await assert.rejects(whereFlow.run({ ...quiet, executor: new DistributedExecutor({ redis: "redis://127.0.0.1:1" }) }), (e: SluiceError) => {
      assert.equal(e.code, "EXECUTOR_ERROR");
      assert.match(
        e.message,
        /the distributed executor could not start: cannot use Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*check that Redis runs there/,
      );
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  it("gives up after connectTimeoutMs when the server accepts connections but never answers", { timeout: 20_000 }, async () => {
    const silent = createServer(() => undefined); // accepts, never replies
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const executor = new DistributedExecutor({ redis: { url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 700 } });
      await assert.rejects(whereFlow.run({ ...quiet, executor }), new RegExp(`cannot use Redis at redis://127\\.0\\.0\\.1:${port}: .*no answer within 700 ms`));
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  it("says so when the server at the URL does not speak Redis", { timeout: 20_000 }, async () => {
    const http = createHttpServer((_req, res) => res.end("hello"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as AddressInfo;
    try {
      const executor = new DistributedExecutor({ redis: { url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 2000 } });
      await assert.rejects(whereFlow.run({ ...quiet, executor }), /does not speak the Redis protocol/);
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });

  it("refuses a bad broker URL before running anything, naming the redis option", async () => {
    const bad = (e: SluiceError): boolean => e.code === "INVALID_OPTION" && e.field === "redis" && /which is not a URL/.test(e.message);
    assert.throws(() => new DistributedExecutor({ redis: "redis//127.0.0.1:6379" }), bad);
    await assert.rejects(executorFromKind("distributed", { redis: "redis//127.0.0.1:6379" }), bad);
  });
});
