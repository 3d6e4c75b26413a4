/** API keys: the key's SHA-256 and its public prefix are stored, never the key. */
import { randomUUID } from "node:crypto";
import type { ApiKeyInfo, CreatedApiKey } from "../../api/api-keys.js";
import { apiKeyMatches, apiKeyPrefix, generateApiKey } from "../domain/api-key.js";
import type { SqlDriver } from "./driver.js";
import { cursorSeq, iso, isoOrNull, pageFrom } from "./rows.js";

interface ApiKeyRow {
  seq: number;
  id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const infoFromRow = (row: ApiKeyRow): ApiKeyInfo => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  createdAt: iso(row.created_at),
  lastUsedAt: isoOrNull(row.last_used_at),
  revokedAt: isoOrNull(row.revoked_at),
});

/** last_used_at is written at most this often per key (it is informative, not worth a write per request). */
const LAST_USED_RESOLUTION_MS = 60_000;

export class ApiKeysRepository {
  constructor(private readonly db: SqlDriver) {}

  async create(name: string, now = Date.now()): Promise<CreatedApiKey> {
    const { key, prefix, hash } = generateApiKey();
    const row: ApiKeyRow = { seq: 0, id: randomUUID(), name, prefix, hash, created_at: now, last_used_at: null, revoked_at: null };
    await this.db.run("INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)", [row.id, name, prefix, hash, now]);
    return { ...infoFromRow(row), key };
  }

  /** The active key matching `key`, or undefined (unknown, malformed or revoked). */
  async verify(key: string, now = Date.now()): Promise<ApiKeyInfo | undefined> {
    const prefix = apiKeyPrefix(key);
    if (!prefix) return undefined;
    const row = await this.db.get<ApiKeyRow>("SELECT * FROM api_keys WHERE prefix = ?", [prefix]);
    if (!row || row.revoked_at !== null || !apiKeyMatches(key, row.hash)) return undefined;
    if (row.last_used_at === null || now - Number(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
      await this.db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [now, row.id]);
    }
    return infoFromRow(row);
  }

  async countActive(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL");
    return Number(row?.n ?? 0);
  }

  async list(filter: { limit: number; cursor?: string | undefined }): Promise<{ items: ApiKeyInfo[]; nextCursor?: string }> {
    const rows = await this.db.all<ApiKeyRow>("SELECT * FROM api_keys WHERE seq > ? ORDER BY seq LIMIT ?", [cursorSeq(filter.cursor) ?? 0, filter.limit + 1]);
    return pageFrom(rows, filter.limit, infoFromRow);
  }

  /** True when a key was found (revoking twice is fine). */
  async revoke(id: string, now = Date.now()): Promise<boolean> {
    return (await this.db.run("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", [now, id])).changes > 0;
  }
}
