/**
 * IDS: what the ids of task runs cost the server's batch writes once its tables are large. Batches of 500
 * new task runs (the row, then two state-history rows each, as a run reports Running and Success) go into
 * SQLite tables that already hold 200,000 task runs, once with random ids (UUID version 4, what the server
 * used before) and once with time-ordered ids (`timeOrderedId`, UUID version 7, what it uses now). The
 * tables carry the server's indexes on those ids (the id's own and the history's by task run), and the
 * WAL is checkpointed as the server's checkpoint worker would. Same process, same run, alternated.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { timeOrderedId } from "../../src/server/database/ids.js";
import type { Measurement, Workload } from "../types.js";

const BEFORE = 200_000;
const BATCH = 500;
const BATCHES = 60;

/** µs per new task run (its row and two history rows), in tables that hold BEFORE task runs first. */
function costPerTaskRun(dir: string, id: () => string, label: string): number {
  const file = join(dir, `${label}.db`);
  const db = new BetterSqlite3(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("wal_autocheckpoint = 0");
    db.exec(`CREATE TABLE task_runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, flow_run_id TEXT NOT NULL, task_key TEXT NOT NULL,
               map_index INTEGER NOT NULL, state TEXT NOT NULL, UNIQUE (flow_run_id, task_key, map_index));
             CREATE TABLE task_run_states (seq INTEGER PRIMARY KEY AUTOINCREMENT, task_run_id TEXT NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
               name TEXT NOT NULL, state_json TEXT NOT NULL);
             CREATE INDEX task_run_states_run ON task_run_states (task_run_id, seq);`);
    const insert = db.prepare("INSERT INTO task_runs (id, flow_run_id, task_key, map_index, state) VALUES (?, ?, ?, ?, ?)");
    const history = db.prepare("INSERT INTO task_run_states (task_run_id, name, state_json) VALUES (?, ?, ?)");
    const batch = db.transaction((run: string) => {
      for (let i = 0; i < BATCH; i++) {
        const taskRunId = id();
        insert.run(taskRunId, run, "task", i, "Success");
        history.run(taskRunId, "Running", '{"name":"Running"}');
        history.run(taskRunId, "Success", '{"name":"Success"}');
      }
    });
    for (let b = 0; b < BEFORE / BATCH; b++) batch(`before-${b}`);
    db.pragma("wal_checkpoint(TRUNCATE)");
    const t0 = performance.now();
    for (let b = 0; b < BATCHES; b++) {
      batch(`timed-${b}`);
      if (b % 10 === 9) db.pragma("wal_checkpoint(TRUNCATE)");
    }
    return ((performance.now() - t0) * 1000) / (BATCHES * BATCH);
  } finally {
    db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  }
}

const IDS: Workload = {
  id: "IDS",
  title: `batch writes of new task runs into tables holding ${BEFORE.toLocaleString("en")}: time-ordered against random ids (SQLite)`,
  async run(): Promise<Measurement[]> {
    const dir = mkdtempSync(join(tmpdir(), "sluice-bench-ids-"));
    try {
      const ordered: number[] = [];
      const random: number[] = [];
      for (let round = 0; round < 2; round++) {
        random.push(costPerTaskRun(dir, randomUUID, `random-${round}`));
        ordered.push(costPerTaskRun(dir, timeOrderedId, `ordered-${round}`));
      }
      return [
        {
          metric: `IDS new task run (row + 2 history rows) into tables of ${BEFORE.toLocaleString("en")} task runs, time-ordered ids`,
          unit: "µs",
          value: Math.min(...ordered),
          baseline: Math.min(...random),
          baselineName: "the same writes with random ids (UUID version 4)",
          higherIsBetter: false,
          notes: `batches of ${BATCH} in one transaction each, ${BATCHES} batches timed, fastest of 2 alternated runs (time-ordered ${ordered.map((x) => x.toFixed(1)).join(", ")}; random ${random.map((x) => x.toFixed(1)).join(", ")} µs)`,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default [IDS] satisfies Workload[];
