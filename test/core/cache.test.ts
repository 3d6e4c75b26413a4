import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { FileCacheStore, flow, inputCacheKey, MemoryCacheStore, task, type CacheStore } from "sluice";
import { quiet, recorder, sleep } from "./support.js";

/** A flow whose task counts its calls, cached with the given store and TTL. */
function counted(store: CacheStore, ttlMs: number, key?: (n: number) => string) {
  const calls: number[] = [];
  const expensive = task(
    "expensive",
    async (n: number) => {
      calls.push(n);
      return { value: n * 10 };
    },
    { cache: { ttlMs, store, ...(key ? { key } : {}) } },
  );
  const f = flow("cached", { parameters: z.object({ n: z.number() }) }, (p) => expensive(p.n));
  return { f, calls };
}

describe("task result cache", () => {
  it("misses, then hits: the task is not called again and the run is Success with cached: true", async () => {
    const { f, calls } = counted(new MemoryCacheStore(), 60_000);
    const first = await f.run({ ...quiet, parameters: { n: 1 } });
    assert.equal(first.taskRun("expensive")!.state.cached, undefined);
    const rec = recorder();
    const second = await f.run({ ...quiet, parameters: { n: 1 }, observers: [rec.observer] });
    assert.deepEqual(calls, [1]);
    assert.deepEqual(second.value, { value: 10 });
    const state = second.taskRun("expensive")!.state;
    assert.equal(state.name, "Success");
    assert.equal(state.cached, true);
    assert.equal(second.taskRun("expensive")!.attempts, 0);
    assert.deepEqual(rec.states("expensive"), ["Pending", "Success"]);
  });

  it("misses for another key", async () => {
    const { f, calls } = counted(new MemoryCacheStore(), 60_000);
    await f.run({ ...quiet, parameters: { n: 1 } });
    await f.run({ ...quiet, parameters: { n: 2 } });
    assert.deepEqual(calls, [1, 2]);
  });

  it("uses the key function given", async () => {
    const { f, calls } = counted(new MemoryCacheStore(), 60_000, (n) => (n % 2 === 0 ? "even" : "odd"));
    await f.run({ ...quiet, parameters: { n: 2 } });
    const hit = await f.run({ ...quiet, parameters: { n: 4 } });
    assert.deepEqual(calls, [2]);
    assert.deepEqual(hit.value, { value: 20 }, "the cached result of the 'even' key");
  });

  it("misses once the entry is older than its TTL", async () => {
    const { f, calls } = counted(new MemoryCacheStore(), 100);
    await f.run({ ...quiet, parameters: { n: 1 } });
    await sleep(150);
    await f.run({ ...quiet, parameters: { n: 1 } });
    assert.deepEqual(calls, [1, 1]);
  });

  it("does not cache failures", async () => {
    const store = new MemoryCacheStore();
    let calls = 0;
    const shaky = task(
      "shaky",
      async () => {
        calls++;
        if (calls === 1) throw new Error("first call fails");
        return "ok";
      },
      { cache: { ttlMs: 60_000, store } },
    );
    const f = flow("no-cache-failures", () => shaky());
    assert.equal((await f.run(quiet)).state.name, "Failed");
    assert.equal(store.size, 0);
    assert.equal((await f.run(quiet)).state.name, "Success");
    assert.equal((await f.run(quiet)).taskRun("shaky")!.state.cached, true);
    assert.equal(calls, 2);
  });

  it("caches each mapped child by its own input", async () => {
    const store = new MemoryCacheStore();
    const seen: number[] = [];
    const sq = task("sq", async (x: number) => (seen.push(x), x * x), { cache: { ttlMs: 60_000, store } });
    const f = flow("cached-map", { parameters: z.object({ xs: z.array(z.number()) }) }, (p) => sq.map(p.xs));
    await f.run({ ...quiet, parameters: { xs: [1, 2] } });
    const result = await f.run({ ...quiet, parameters: { xs: [2, 3, 1] } });
    assert.deepEqual(result.value, [4, 9, 1]);
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(
      result.taskRuns.filter((t) => t.mapIndex !== null).map((t) => t.state.cached === true),
      [true, false, true],
    );
  });

  it("defaults to a SHA-256 of the input's JSON with sorted keys", () => {
    assert.equal(inputCacheKey({ a: 1, b: [2, { c: 3, d: 4 }] }), inputCacheKey({ b: [2, { d: 4, c: 3 }], a: 1 }));
    assert.notEqual(inputCacheKey({ a: 1 }), inputCacheKey({ a: 2 }));
    assert.match(inputCacheKey(undefined), /^[0-9a-f]{64}$/);
  });

  it("uses the run's cacheStore when the task names none", async () => {
    const runStore = new MemoryCacheStore();
    let calls = 0;
    const t = task("t", async () => ++calls, { cache: { ttlMs: 60_000 } });
    const f = flow("run-store", () => t());
    await f.run({ ...quiet, cacheStore: runStore });
    await f.run({ ...quiet, cacheStore: runStore });
    assert.equal(calls, 1);
    assert.equal(runStore.size, 1);
  });
});

describe("FileCacheStore", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-cache-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps results across store instances (as across processes)", async () => {
    const first = counted(new FileCacheStore(dir), 60_000);
    await first.f.run({ ...quiet, parameters: { n: 7 } });
    assert.equal((await readdir(dir)).filter((f) => f.endsWith(".json")).length, 1);
    const second = counted(new FileCacheStore(dir), 60_000);
    const result = await second.f.run({ ...quiet, parameters: { n: 7 } });
    assert.deepEqual(second.calls, []);
    assert.equal(result.taskRun("expensive")!.state.cached, true);
    assert.deepEqual(result.value, { value: 70 });
  });

  it("expires entries and deletes their files", async () => {
    const store = new FileCacheStore(join(dir, "ttl"));
    await store.set("k", { value: 1, createdAt: Date.now(), expiresAt: Date.now() + 300 });
    assert.deepEqual((await store.get("k"))?.value, 1);
    await sleep(350);
    assert.equal(await store.get("k"), undefined);
    assert.deepEqual(await readdir(join(dir, "ttl")), []);
  });

  it("treats a result that is not JSON as not cacheable: the run still succeeds", async () => {
    const store = new FileCacheStore(join(dir, "bigint"));
    const t = task("big", async () => 10n, { cache: { ttlMs: 60_000, store } });
    const result = await flow("bigint", () => t()).run(quiet);
    assert.equal(result.state.name, "Success");
    assert.equal(result.value, 10n);
    assert.equal(await store.get("big:" + inputCacheKey(undefined)), undefined);
  });

  it("needs a directory", () => {
    assert.throws(() => new FileCacheStore(""), /needs a directory/);
  });
});
