/**
 * Batched task-run upserts at the repository level: a batch is a few multi-row statements, never one per
 * row (PostgreSQL: a fixed number whatever its size; SQLite: one per chunk of up to 256 rows), with the same per-update semantics (in-batch sequencing, refusals, version rules);
 * a key whose write loses a race answers CONFLICT without history; concurrent batches of one run are
 * serialized.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import type { DatabaseTarget } from "../support.js";
import { openDatabase, type SluiceDatabase } from "../../../src/server/index.js";
import type { SqlDriver, SqlExecutor, SqlParam } from "../../../src/server/database/driver.js";
import { TaskRunsRepository } from "../../../src/server/database/task-runs-repository.js";
import { LogsRepository } from "../../../src/server/database/logs-repository.js";

/** A driver that counts the statements run inside transactions, and lets a test act after each read. */
function observed(driver: SqlDriver, afterRead?: (sql: string, tx: SqlExecutor) => Promise<void>): SqlDriver & { statements: string[] } {
  const statements: string[] = [];
  const wrap = (tx: SqlExecutor): SqlExecutor => ({
    all: async <T>(sql: string, params?: readonly SqlParam[]) => {
      statements.push(sql);
      const rows = await tx.all<T>(sql, params);
      await afterRead?.(sql, tx);
      return rows;
    },
    get: async <T>(sql: string, params?: readonly SqlParam[]) => {
      statements.push(sql);
      return tx.get<T>(sql, params);
    },
    run: async (sql: string, params?: readonly SqlParam[]) => {
      statements.push(sql);
      return tx.run(sql, params);
    },
  });
  return Object.assign(Object.create(driver) as SqlDriver, {
    statements,
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => driver.transaction((tx) => fn(wrap(tx))),
  });
}

const running = { name: "Running" as const };

/** Statements SQLite writes `rows` rows with: chunks of 256, then of 128, 64, ... 1 for the rest. */
const chunksFor = (rows: number): number => Math.floor(rows / 256) + [...(rows % 256).toString(2)].filter((bit) => bit === "1").length;

export function taskRunBatchTests(target: DatabaseTarget): void {
  describe("task-run batches (repository)", () => {
    let db: SluiceDatabase;
    let flowRunId: string;
    let n = 0;
    const newRun = async (): Promise<string> => {
      const { flow } = await db.flows.register({
        name: `batches-${++n}`,
        environment: { type: "LocalEnvironment", labels: [], metadata: {} },
        storage: { type: "ModuleStorage" },
        parameterSchema: {},
        parameterDefaults: {},
        taskGraph: { tasks: [] },
      } as unknown as Parameters<SluiceDatabase["flows"]["register"]>[0]);
      return (await db.flowRuns.create({ flow, parameters: {}, labels: [], scheduledStart: Date.now() })).run.id;
    };
    before(async () => {
      db = await openDatabase(await target.newDatabaseUrl());
      flowRunId = await newRun();
    });
    after(async () => {
      await db?.close();
    });

    it("runs a few statements per batch, never one per row", async () => {
      const counts: number[] = [];
      for (const size of [3, 300]) {
        const driver = observed(db.driver);
        const repo = new TaskRunsRepository(driver);
        const creates = Array.from({ length: size }, (_, i) => ({ taskKey: `size-${size}`, mapIndex: i, state: running }));
        assert.ok((await repo.apply(flowRunId, creates)).results.every((r) => r.ok));
        // A third change state, a third are refused (wrong version), a third create new task runs.
        const mixed = creates.map((u, i) =>
          i % 3 === 0
            ? { ...u, state: { name: "Success" as const } }
            : i % 3 === 1
              ? { ...u, expectedVersion: 9, state: { name: "Failed" as const } }
              : { ...u, mapIndex: size + i },
        );
        const { results } = await repo.apply(flowRunId, mixed);
        assert.deepEqual(
          results.map((r) => r.ok),
          mixed.map((_, i) => i % 3 !== 1),
        );
        counts.push(driver.statements.length);
      }
      if (target.name === "postgres") {
        assert.equal(counts[0], counts[1], `a 300-update batch runs as many statements as a 3-update one (${counts.join(" vs ")})`);
        assert.ok(counts[1]! <= 2 * 6, `two batches, at most 6 statements each (got ${counts[1]})`);
      } else {
        // SQLite writes in chunks of 256, 128, ... 1 rows. First batch: 300 inserts and their history
        // (4 chunks each); second: 100 updates, 100 inserts, 200 history rows (3 chunks each).
        const chunks = (rows: number): number => chunksFor(rows);
        assert.equal(chunks(300), 4);
        const fixed = 3; // lock the run, read the rows, touch the run's progress
        assert.equal(
          counts[1],
          2 * fixed + 2 * chunks(300) + 2 * chunks(100) + chunks(200),
          `statements of the two 300-update batches (${counts.join(" vs ")})`,
        );
      }
    });

    it("writes a batch with a bounded set of statement texts, whatever its size (each prepared once)", async () => {
      const driver = observed(db.driver);
      const repo = new TaskRunsRepository(driver);
      for (let size = 1; size <= 600; size += 37) {
        const creates = Array.from({ length: size }, (_, i) => ({ taskKey: `texts-${size}`, mapIndex: i, state: running }));
        assert.ok((await repo.apply(flowRunId, creates)).results.every((r) => r.ok));
        const ends = creates.map((u) => ({ ...u, state: { name: "Success" as const } }));
        assert.ok((await repo.apply(flowRunId, ends)).results.every((r) => r.ok));
      }
      const texts = new Set(driver.statements).size;
      // Per kind of write (insert, update, history): one text on PostgreSQL, one per chunk size on SQLite.
      assert.ok(texts <= (target.name === "postgres" ? 6 : 3 + 3 * 9), `${texts} different statement texts`);
    });

    it("applies several updates of one key in order within a batch, with their history", async () => {
      const { results } = await db.taskRuns.apply(flowRunId, [
        { taskKey: "twice", mapIndex: -1, taskName: "Twice", state: running },
        { taskKey: "twice", mapIndex: -1, state: { name: "Retrying", message: "attempt 1 failed" } },
        { taskKey: "twice", mapIndex: -1, expectedVersion: 2, state: { name: "Running", attempt: 2 } },
        { taskKey: "twice", mapIndex: -1, expectedVersion: 2, state: { name: "Success" } },
        { taskKey: "twice", mapIndex: -1 },
      ]);
      assert.deepEqual(
        results.map((r) => [r.ok, r.version ?? r.error?.code]),
        [
          [true, 1],
          [true, 2],
          [true, 3],
          [false, "CONFLICT"],
          [true, 3],
        ],
      );
      assert.match(results[3]!.error!.message, /twice\[-1\] is at version 3 \(Running\), not the expected 2/);
      const row = (await db.taskRuns.list(flowRunId, { taskKey: "twice", limit: 10 })).items[0]!;
      assert.equal(row.state.name, "Running");
      assert.equal(row.taskName, "Twice");
      assert.equal(row.attempts, 2);
      assert.equal(row.version, 3);
      assert.deepEqual(
        (await db.taskRuns.states(row.id)).map((s) => s.name),
        ["Running", "Retrying", "Running"],
      );
    });

    it("answers CONFLICT, without history, for a key whose write loses a race; the rest of the batch applies", async () => {
      await db.taskRuns.apply(flowRunId, [{ taskKey: "raced", mapIndex: 0, state: running }]);
      const rivalId = `rival-${Math.random().toString(36).slice(2)}`;
      // Between the batch's read and its writes, another writer changes raced[0] and creates raced[1].
      const driver = observed(db.driver, async (sql, tx) => {
        if (!sql.startsWith("SELECT * FROM task_runs")) return;
        await tx.run("UPDATE task_runs SET version = version + 1 WHERE flow_run_id = ? AND task_key = 'raced' AND map_index = 0", [flowRunId]);
        await tx.run(
          `INSERT INTO task_runs (id, flow_run_id, task_key, task_name, map_index, state, state_json, version, attempts, created_at, updated_at)
           VALUES (?, ?, 'raced', 'raced', 1, 'Pending', '{"name":"Pending","timestamp":"2024-01-01T00:00:00.000Z"}', 1, 0, 0, 0)`,
          [rivalId, flowRunId],
        );
      });
      const { results, rows } = await new TaskRunsRepository(driver).apply(flowRunId, [
        { taskKey: "raced", mapIndex: 0 }, // a read: answered before any write of the key
        { taskKey: "raced", mapIndex: 0, state: { name: "Success" } },
        { taskKey: "raced", mapIndex: 1, state: running },
        { taskKey: "raced", mapIndex: 1, state: { name: "Success" } },
        { taskKey: "raced", mapIndex: 2, state: running },
      ]);
      assert.deepEqual(
        results.map((r) => r.ok),
        [true, false, false, false, true],
      );
      assert.match(results[1]!.error!.message, /raced\[0\] changed concurrently/);
      assert.match(results[2]!.error!.message, /raced\[1\] was created concurrently by another request/);
      assert.equal(rows[1], undefined);
      const byIndex = new Map((await db.taskRuns.list(flowRunId, { taskKey: "raced", limit: 10 })).items.map((t) => [t.mapIndex, t]));
      assert.equal(byIndex.get(0)!.state.name, "Running", "the lost change was not written");
      assert.equal(byIndex.get(1)!.id, rivalId);
      assert.equal(byIndex.get(1)!.state.name, "Pending");
      assert.deepEqual(
        (await db.taskRuns.states(byIndex.get(0)!.id)).map((s) => s.name),
        ["Running"],
        "no history for a lost write",
      );
      assert.deepEqual(
        (await db.taskRuns.states(rivalId)).map((s) => s.name),
        [],
      );
      assert.equal(byIndex.get(2)!.state.name, "Running");
    });

    it("serializes concurrent batches of one flow run: no deadlock, no lost race, consistent versions and history", async () => {
      const run = await newRun();
      const keys = Array.from({ length: 60 }, (_, i) => i);
      const names = ["Running", "Retrying", "Running", "Running", "Retrying", "Success"] as const;
      const orders = names.map((_, b) => (b % 2 === 0 ? keys : [...keys].reverse())); // opposite lock orders
      const outcomes = await Promise.all(
        names.map((name, b) =>
          db.taskRuns.apply(
            run,
            orders[b]!.map((i) => ({
              taskKey: "shared",
              mapIndex: i,
              state: { name, message: `batch ${b}`, timestamp: new Date(Date.now() + b).toISOString() },
            })),
          ),
        ),
      );
      const races = outcomes.flatMap((o) => o.results).filter((r) => !r.ok && /concurrently/.test(r.error?.message ?? ""));
      assert.deepEqual(races, [], "no update lost a race: the batches waited for each other");
      const items = (await db.taskRuns.list(run, { limit: 100 })).items;
      assert.equal(items.length, keys.length, "each key exists once");
      for (const item of items) {
        const history = await db.taskRuns.states(item.id);
        assert.equal(history.length, item.version, `task run ${item.mapIndex}: one history row per version`);
        const applied = outcomes.flatMap((o) => o.results).filter((r) => r.ok && r.mapIndex === item.mapIndex);
        assert.equal(new Set(applied.map((r) => r.version)).size, item.version, "each applied update made its own version");
      }
    });

    it("writes a log batch with one INSERT, in the order given", async () => {
      const other = await newRun();
      const driver = observed(db.driver);
      const lines = Array.from({ length: 2000 }, (_, i) => ({
        flowRunId: i % 2 ? flowRunId : other,
        level: "info" as const,
        message: `line ${i}`,
        ...(i % 7 ? {} : { fields: { i } }),
      }));
      assert.equal(await new LogsRepository(driver).write(lines), 2000);
      const inserts = driver.statements.filter((sql) => /INSERT INTO logs/.test(sql));
      const expected = target.name === "postgres" ? 1 : chunksFor(2000);
      assert.equal(inserts.length, expected, `${expected} INSERT statements for 2000 lines`);
      assert.ok(driver.statements.length <= expected + 2, `the INSERTs and a lock per flow run at most (got ${driver.statements.length})`);
      const read = await db.logs.read(other, { limit: 2000 });
      assert.deepEqual(
        read.items.map((l) => l.message),
        lines.filter((l) => l.flowRunId === other).map((l) => l.message),
      );
      assert.deepEqual(read.items[0]!.fields, { i: 0 });
      assert.equal(read.items[1]!.fields, null);
    });

    it("runs a PostgreSQL transaction chosen as a deadlock victim again", { skip: target.name !== "postgres" && "PostgreSQL only" }, async () => {
      const run = await newRun();
      await db.taskRuns.apply(run, [
        { taskKey: "a", mapIndex: -1 },
        { taskKey: "b", mapIndex: -1 },
      ]);
      let calls = 0;
      let arrived = 0;
      let release: () => void = () => undefined;
      const bothHoldOne = new Promise<void>((resolve) => (release = resolve));
      const lockBoth = (first: string, second: string): Promise<void> =>
        db.driver.transaction(async (tx) => {
          calls++;
          await tx.run("UPDATE task_runs SET attempts = attempts + 1 WHERE flow_run_id = ? AND task_key = ?", [run, first]);
          if (++arrived === 2) release();
          await bothHoldOne; // each holds one row and now asks for the other's
          await tx.run("UPDATE task_runs SET attempts = attempts + 1 WHERE flow_run_id = ? AND task_key = ?", [run, second]);
        });
      await Promise.all([lockBoth("a", "b"), lockBoth("b", "a")]);
      assert.equal(calls, 3, "one of the two ran twice");
      const attempts = (await db.taskRuns.list(run, { limit: 10 })).items.map((t) => t.attempts);
      assert.deepEqual(attempts, [2, 2], "both committed once in the end");
    });
  });
}
