/** Flow runs: creation (idempotent by key or schedule slot), reads, checked state changes, claims, heartbeats, cancellation. */
import { randomUUID } from "node:crypto";
import { SluiceError } from "../../core/errors.js";
import { isFinished, makeState, type State, type StateName } from "../../core/states.js";
import type { Flow } from "../../api/flows.js";
import type { FlowRun } from "../../api/flow-runs.js";
import { decideFlowRunTransition } from "../domain/transitions.js";
import type { LabelledAgent } from "../domain/labels.js";
import type { SqlDriver, SqlExecutor, SqlParam } from "./driver.js";
import { flowRunFromRow, writeFlowRunState, type FlowRunPatch, type FlowRunRow } from "./flow-run-rows.js";
import { cursorSeq, iso, notFound, pageFrom, stateOf } from "./rows.js";

export interface NewFlowRun {
  flow: Flow;
  parameters: Record<string, unknown>;
  labels: string[];
  scheduledStart: number;
  name?: string | null;
  idempotencyKey?: string | null;
  scheduleId?: string | null;
  scheduleSlot?: number | null;
  /** Message of the initial Scheduled state. */
  message?: string;
}

export interface FlowRunFilter {
  state?: StateName[] | undefined;
  flowId?: string | undefined;
  flowName?: string | undefined;
  agentId?: string | undefined;
  scheduleId?: string | undefined;
  cancelRequested?: boolean | undefined;
  /** Runs having every one of these labels. */
  label?: string[] | undefined;
  /** A run whose id starts with this text or whose name contains it (ASCII letters in any case). */
  q?: string | undefined;
  /** ISO instants bounding the creation time: at or after, strictly before. */
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  /** ISO instant: runs changed at or after it. */
  updatedAfter?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** `text` as a LIKE pattern matching itself literally (with `ESCAPE '\'`). */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface SetStateOptions {
  /** Apply only at this version (else CONFLICT). */
  expectedVersion?: number | undefined;
  /** The server's own services: skip the transition rules. */
  force?: boolean;
  patch?: FlowRunPatch;
  now?: number;
}

const MAX_OPTIMISTIC_RETRIES = 20;

export class FlowRunsRepository {
  constructor(private readonly db: SqlDriver) {}

  /** Inserts a Scheduled run; a run with the same idempotency key or schedule slot is returned instead. */
  async create(input: NewFlowRun, now = Date.now()): Promise<{ run: FlowRun; created: boolean }> {
    const state = makeState("Scheduled", { scheduledAt: iso(input.scheduledStart), timestamp: iso(now), message: input.message ?? "Scheduled" });
    const id = randomUUID();
    const stateJson = JSON.stringify(state);
    const inserted = await this.db.transaction(async (tx) => {
      const rows = await tx.all<{ id: string }>(
        `INSERT INTO flow_runs (id, flow_id, flow_name, flow_version, name, parameters, labels, state, state_json, version, scheduled_start,
           created_at, updated_at, progress_at, schedule_id, schedule_slot, idempotency_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'Scheduled', ?, 1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          id,
          input.flow.id,
          input.flow.name,
          input.flow.version,
          input.name ?? null,
          JSON.stringify(input.parameters),
          JSON.stringify(input.labels),
          stateJson,
          input.scheduledStart,
          now,
          now,
          now,
          input.scheduleId ?? null,
          input.scheduleSlot ?? null,
          input.idempotencyKey ?? null,
        ],
      );
      if (rows.length === 0) return false;
      await tx.run("INSERT INTO flow_run_states (flow_run_id, name, timestamp, state_json) VALUES (?, 'Scheduled', ?, ?)", [id, now, stateJson]);
      return true;
    });
    if (inserted) return { run: (await this.get(id))!, created: true };
    const existing =
      input.idempotencyKey != null
        ? await this.db.get<FlowRunRow>("SELECT * FROM flow_runs WHERE flow_id = ? AND idempotency_key = ?", [input.flow.id, input.idempotencyKey])
        : await this.db.get<FlowRunRow>("SELECT * FROM flow_runs WHERE schedule_id = ? AND schedule_slot = ?", [
            input.scheduleId ?? null,
            input.scheduleSlot ?? null,
          ]);
    if (!existing) throw new SluiceError("CONFLICT", `flow run ${id} could not be created and no existing run holds its key; retry`);
    return { run: flowRunFromRow(existing), created: false };
  }

  async row(id: string, tx: SqlExecutor = this.db): Promise<FlowRunRow | undefined> {
    return tx.get<FlowRunRow>("SELECT * FROM flow_runs WHERE id = ?", [id]);
  }

  async get(id: string): Promise<FlowRun | undefined> {
    const row = await this.row(id);
    return row && flowRunFromRow(row);
  }

  /** Newest first. */
  async list(filter: FlowRunFilter): Promise<{ items: FlowRun[]; nextCursor?: string }> {
    const where: string[] = ["seq < ?"];
    const params: SqlParam[] = [cursorSeq(filter.cursor) ?? Number.MAX_SAFE_INTEGER];
    if (filter.state?.length) {
      where.push(this.db.sql.inList("state"));
      params.push(this.db.sql.listParam(filter.state));
    }
    const equal: [string, string | undefined][] = [
      ["flow_id", filter.flowId],
      ["flow_name", filter.flowName],
      ["agent_id", filter.agentId],
      ["schedule_id", filter.scheduleId],
    ];
    for (const [column, value] of equal) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.cancelRequested !== undefined) where.push(`cancel_requested_at IS ${filter.cancelRequested ? "NOT NULL" : "NULL"}`);
    if (filter.label?.length) {
      where.push(this.db.sql.labelsInclude("labels"));
      params.push(this.db.sql.labelsParam(filter.label));
    }
    if (filter.q !== undefined) {
      // lower() on both sides: SQLite's LIKE ignores ASCII case and PostgreSQL's does not; ids are lower-case UUIDs.
      const pattern = likeLiteral(filter.q.toLowerCase());
      where.push("(id LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\')");
      params.push(`${pattern}%`, `%${pattern}%`);
    }
    const bounds: [string, string, string | undefined][] = [
      ["created_at", ">=", filter.createdAfter],
      ["created_at", "<", filter.createdBefore],
      ["updated_at", ">=", filter.updatedAfter],
    ];
    for (const [column, operator, instant] of bounds) {
      if (instant === undefined) continue;
      where.push(`${column} ${operator} ?`);
      params.push(Date.parse(instant));
    }
    params.push(filter.limit + 1);
    const rows = await this.db.all<FlowRunRow>(`SELECT * FROM flow_runs WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`, params);
    return pageFrom(rows, filter.limit, flowRunFromRow);
  }

  /** The state history, oldest first. */
  async states(id: string): Promise<State[]> {
    if (!(await this.row(id))) throw notFound("flow run", id);
    const rows = await this.db.all<{ state_json: string }>("SELECT state_json FROM flow_run_states WHERE flow_run_id = ? ORDER BY seq", [id]);
    return rows.map((r) => stateOf(r.state_json));
  }

  /**
   * Changes a run's state: legal transitions only (unless forced), at `expectedVersion` if given. A replay
   * of the change the run is already in (same state name and timestamp) answers the run unchanged.
   */
  async setState(id: string, input: Omit<State, "timestamp"> & { timestamp?: string | undefined }, options: SetStateOptions = {}): Promise<FlowRun> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const now = options.now ?? Date.now();
      const row = await this.row(id);
      if (!row) throw notFound("flow run", id);
      const current = stateOf(row.state_json);
      if (input.timestamp !== undefined && current.name === input.name && current.timestamp === new Date(input.timestamp).toISOString())
        return flowRunFromRow(row);
      if (options.expectedVersion !== undefined && row.version !== options.expectedVersion)
        throw new SluiceError(
          "CONFLICT",
          `flow run ${id} is at version ${row.version} (state ${row.state}), not the expected ${options.expectedVersion}: read it again and decide anew`,
          { field: "expectedVersion", value: options.expectedVersion, flowRunId: id },
        );
      if (!options.force) {
        const decision = decideFlowRunTransition(row.state, input.name);
        if (decision.kind === "noop") return flowRunFromRow(row);
        if (decision.kind === "reject")
          throw new SluiceError("CONFLICT", `flow run ${id}: ${decision.reason}`, { field: "state.name", value: input.name, flowRunId: id });
      }
      const state: State = { ...input, timestamp: input.timestamp === undefined ? iso(now) : new Date(input.timestamp).toISOString() };
      const next = await this.db.transaction((tx) => writeFlowRunState(tx, row, state, now, options.patch));
      if (next) return flowRunFromRow(next);
      if (options.expectedVersion !== undefined)
        throw new SluiceError("CONFLICT", `flow run ${id} changed while this update was applied: read it again and decide anew`, {
          field: "expectedVersion",
          flowRunId: id,
        });
    }
    throw new SluiceError("CONFLICT", `flow run ${id} kept changing under ${MAX_OPTIMISTIC_RETRIES} attempts to update it; retry`, { flowRunId: id });
  }

  /**
   * Moves up to `limit` due Scheduled runs whose labels fit the agent to Submitted, recording the agent.
   * Race-free: PostgreSQL locks the picked rows and makes other claimers skip them; SQLite has one writer.
   */
  async claim(agent: LabelledAgent & { id: string; name: string }, limit: number, now = Date.now()): Promise<FlowRun[]> {
    const { sql } = this.db;
    const params: SqlParam[] = [now];
    let labelRule: string;
    if (agent.labels.length === 0) {
      labelRule = agent.acceptUnlabelled ? "r.labels = '[]'" : "1 = 0";
    } else {
      labelRule = sql.labelsWithin("r.labels") + (agent.acceptUnlabelled ? "" : " AND r.labels <> '[]'");
      params.push(sql.labelsParam(agent.labels));
    }
    params.push(limit);
    return this.db.transaction(async (tx) => {
      const candidates = await tx.all<FlowRunRow>(
        `SELECT * FROM flow_runs r WHERE r.state = 'Scheduled' AND r.scheduled_start <= ? AND ${labelRule}
         ORDER BY r.scheduled_start, r.seq LIMIT ?${sql.skipLocked}`,
        params,
      );
      const claimed: FlowRun[] = [];
      for (const row of candidates) {
        const state = makeState("Submitted", { timestamp: iso(now), message: `Submitted to agent ${agent.name}` });
        const next = await writeFlowRunState(tx, row, state, now, { agent_id: agent.id });
        if (next) claimed.push(flowRunFromRow(next));
      }
      return claimed;
    });
  }

  /** When the earliest Scheduled run that is not yet due becomes due (ms), or undefined when there is none. */
  async nextDueAt(now = Date.now()): Promise<number | undefined> {
    const row = await this.db.get<{ at: number | null }>("SELECT MIN(scheduled_start) AS at FROM flow_runs WHERE state = 'Scheduled' AND scheduled_start > ?", [
      now,
    ]);
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  /** Records a heartbeat; answers the run's state and whether a cancel was requested. */
  async heartbeat(id: string, now = Date.now()): Promise<{ state: StateName; version: number; cancelRequested: boolean }> {
    const rows = await this.db.all<{ state: StateName; version: number; cancel_requested_at: number | null }>(
      "UPDATE flow_runs SET heartbeat_at = ? WHERE id = ? RETURNING state, version, cancel_requested_at",
      [now, id],
    );
    const row = rows[0];
    if (!row) throw notFound("flow run", id);
    return { state: row.state, version: Number(row.version), cancelRequested: row.cancel_requested_at !== null };
  }

  /**
   * Cancels a run: Pending/Scheduled runs become Cancelled at once; started ones get a cancel request
   * their runner sees in its next heartbeat (the cancellation service ends them after a grace period).
   */
  async cancel(id: string, now = Date.now()): Promise<FlowRun> {
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const row = await this.row(id);
      if (!row) throw notFound("flow run", id);
      if (row.state === "Cancelled" || (row.cancel_requested_at !== null && !isFinished(row.state))) return flowRunFromRow(row);
      if (isFinished(row.state))
        throw new SluiceError("CONFLICT", `flow run ${id} already finished (${row.state}); there is nothing to cancel`, { flowRunId: id });
      if (row.state === "Pending" || row.state === "Scheduled") {
        const state = makeState("Cancelled", { timestamp: iso(now), message: "Cancelled before it started" });
        const next = await this.db.transaction((tx) => writeFlowRunState(tx, row, state, now, { cancel_requested_at: now }));
        if (next) return flowRunFromRow(next);
        continue;
      }
      const { changes } = await this.db.run("UPDATE flow_runs SET cancel_requested_at = ?, updated_at = ? WHERE id = ? AND version = ?", [
        now,
        now,
        id,
        row.version,
      ]);
      if (changes > 0) return flowRunFromRow({ ...row, cancel_requested_at: now, updated_at: now });
    }
    throw new SluiceError("CONFLICT", `flow run ${id} kept changing while it was being cancelled; retry`, { flowRunId: id });
  }

  /** Marks progress (a task-run change) so the resurrection service leaves the run alone. */
  async touchProgress(tx: SqlExecutor, id: string, now: number): Promise<void> {
    await tx.run("UPDATE flow_runs SET progress_at = ? WHERE id = ?", [now, id]);
  }
}
