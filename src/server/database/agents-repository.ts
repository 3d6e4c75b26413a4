/** Agents: registered by name (re-registering updates the same agent), seen at every heartbeat and claim. */
import { randomUUID } from "node:crypto";
import type { Agent } from "../../api/agents.js";
import { defaultAcceptUnlabelled, normalizeLabels } from "../domain/labels.js";
import type { SqlDriver } from "./driver.js";
import { cursorSeq, iso, notFound, pageFrom, parseJson } from "./rows.js";

interface AgentRow {
  seq: number;
  id: string;
  name: string;
  kind: string;
  labels: string;
  accept_unlabelled: number;
  created_at: number;
  last_seen: number;
}

const agentFromRow = (row: AgentRow): Agent => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  labels: parseJson(row.labels),
  acceptUnlabelled: Number(row.accept_unlabelled) === 1,
  createdAt: iso(row.created_at),
  lastSeen: iso(row.last_seen),
});

export class AgentsRepository {
  constructor(private readonly db: SqlDriver) {}

  async register(input: { name: string; kind: string; labels: string[]; acceptUnlabelled?: boolean | undefined }, now = Date.now()): Promise<Agent> {
    const labels = normalizeLabels(input.labels);
    const accept = input.acceptUnlabelled ?? defaultAcceptUnlabelled(labels);
    const rows = await this.db.all<AgentRow>(
      `INSERT INTO agents (id, name, kind, labels, accept_unlabelled, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, labels = excluded.labels, accept_unlabelled = excluded.accept_unlabelled, last_seen = excluded.last_seen
       RETURNING *`,
      [randomUUID(), input.name, input.kind, JSON.stringify(labels), accept, now, now],
    );
    return agentFromRow(rows[0]!);
  }

  async get(id: string): Promise<Agent | undefined> {
    const row = await this.db.get<AgentRow>("SELECT * FROM agents WHERE id = ?", [id]);
    return row && agentFromRow(row);
  }

  /** Updates last_seen; NOT_FOUND for an unknown agent. */
  async seen(id: string, now = Date.now()): Promise<Agent> {
    const rows = await this.db.all<AgentRow>("UPDATE agents SET last_seen = ? WHERE id = ? RETURNING *", [now, id]);
    if (!rows[0]) throw notFound("agent", id, "agentId");
    return agentFromRow(rows[0]);
  }

  async list(filter: { limit: number; cursor?: string | undefined }): Promise<{ items: Agent[]; nextCursor?: string }> {
    const rows = await this.db.all<AgentRow>("SELECT * FROM agents WHERE seq > ? ORDER BY seq LIMIT ?", [cursorSeq(filter.cursor) ?? 0, filter.limit + 1]);
    return pageFrom(rows, filter.limit, agentFromRow);
  }
}
