/** Flow versions: registration by content hash, lookup by id or name. */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { Flow, RegisterFlowBody } from "../../api/flows.js";
import { contentHash } from "../domain/canonical-json.js";
import { normalizeLabels } from "../domain/labels.js";
import { isUniqueViolation, type SqlDriver } from "./driver.js";
import { cursorSeq, iso, pageFrom, parseJson } from "./rows.js";

export interface FlowRow {
  seq: number;
  id: string;
  name: string;
  version: number;
  content_hash: string;
  environment: string;
  storage: string;
  parameter_schema: string;
  parameter_defaults: string;
  task_graph: string;
  description: string | null;
  labels: string;
  created_at: number;
}

export type RegisterFlowInput = z.output<typeof RegisterFlowBody>;

export function flowFromRow(row: FlowRow): Flow {
  return {
    id: row.id,
    name: row.name,
    version: Number(row.version),
    environment: parseJson(row.environment),
    storage: parseJson(row.storage),
    parameterSchema: parseJson(row.parameter_schema),
    parameterDefaults: parseJson(row.parameter_defaults),
    taskGraph: parseJson(row.task_graph),
    description: row.description,
    labels: parseJson(row.labels),
    contentHash: row.content_hash,
    createdAt: iso(row.created_at),
  };
}

export class FlowsRepository {
  constructor(private readonly db: SqlDriver) {}

  /** Registers `input` as a new version of its name unless the latest version has the same content. */
  async register(input: RegisterFlowInput, now = Date.now()): Promise<{ flow: Flow; created: boolean }> {
    const environment = { ...input.environment, labels: normalizeLabels(input.environment.labels) };
    const content = {
      environment,
      storage: input.storage,
      parameterSchema: input.parameterSchema,
      parameterDefaults: input.parameterDefaults,
      taskGraph: input.taskGraph,
      description: input.description ?? null,
    };
    const hash = contentHash(content);
    // Two registrations of the same name may race for the next version: the loser retries.
    for (let attempt = 0; ; attempt++) {
      const latest = await this.latest(input.name);
      if (latest && latest.contentHash === hash) return { flow: latest, created: false };
      const row: FlowRow = {
        seq: 0,
        id: randomUUID(),
        name: input.name,
        version: (latest?.version ?? 0) + 1,
        content_hash: hash,
        environment: JSON.stringify(environment),
        storage: JSON.stringify(input.storage),
        parameter_schema: JSON.stringify(input.parameterSchema),
        parameter_defaults: JSON.stringify(input.parameterDefaults),
        task_graph: JSON.stringify(input.taskGraph),
        description: input.description ?? null,
        labels: JSON.stringify(environment.labels),
        created_at: now,
      };
      try {
        await this.db.run(
          `INSERT INTO flows (id, name, version, content_hash, environment, storage, parameter_schema, parameter_defaults, task_graph, description, labels, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            row.id,
            row.name,
            row.version,
            row.content_hash,
            row.environment,
            row.storage,
            row.parameter_schema,
            row.parameter_defaults,
            row.task_graph,
            row.description,
            row.labels,
            row.created_at,
          ],
        );
        return { flow: flowFromRow(row), created: true };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 5) throw error;
      }
    }
  }

  async get(id: string): Promise<Flow | undefined> {
    const row = await this.db.get<FlowRow>("SELECT * FROM flows WHERE id = ?", [id]);
    return row && flowFromRow(row);
  }

  /** The given version of a name, or its latest. */
  async findByName(name: string, version?: number): Promise<Flow | undefined> {
    const row =
      version === undefined
        ? await this.db.get<FlowRow>("SELECT * FROM flows WHERE name = ? ORDER BY version DESC LIMIT 1", [name])
        : await this.db.get<FlowRow>("SELECT * FROM flows WHERE name = ? AND version = ?", [name, version]);
    return row && flowFromRow(row);
  }

  latest(name: string): Promise<Flow | undefined> {
    return this.findByName(name);
  }

  /** Newest first. */
  async list(filter: { name?: string | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: Flow[]; nextCursor?: string }> {
    const before = cursorSeq(filter.cursor) ?? Number.MAX_SAFE_INTEGER;
    const rows =
      filter.name === undefined
        ? await this.db.all<FlowRow>("SELECT * FROM flows WHERE seq < ? ORDER BY seq DESC LIMIT ?", [before, filter.limit + 1])
        : await this.db.all<FlowRow>("SELECT * FROM flows WHERE name = ? AND seq < ? ORDER BY seq DESC LIMIT ?", [filter.name, before, filter.limit + 1]);
    return pageFrom(rows, filter.limit, flowFromRow);
  }
}
