/** Secrets: only ciphertext is stored (the SecretBox encrypts before and decrypts after). */
import type { SecretInfo } from "../../api/secrets.js";
import type { SqlDriver } from "./driver.js";
import { cursorSeq, iso, pageFrom } from "./rows.js";

interface SecretRow {
  seq: number;
  name: string;
  ciphertext: string;
  created_at: number;
  updated_at: number;
}

const infoFromRow = (row: Pick<SecretRow, "name" | "created_at" | "updated_at">): SecretInfo => ({
  name: row.name,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

export class SecretsRepository {
  constructor(private readonly db: SqlDriver) {}

  async put(name: string, ciphertext: string, now = Date.now()): Promise<SecretInfo> {
    const rows = await this.db.all<SecretRow>(
      `INSERT INTO secrets (name, ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
       RETURNING name, created_at, updated_at`,
      [name, ciphertext, now, now],
    );
    return infoFromRow(rows[0]!);
  }

  /** The stored ciphertext, or undefined. */
  async ciphertext(name: string): Promise<string | undefined> {
    return (await this.db.get<{ ciphertext: string }>("SELECT ciphertext FROM secrets WHERE name = ?", [name]))?.ciphertext;
  }

  /** Names and dates only: the query never reads a value. */
  async list(filter: { limit: number; cursor?: string | undefined }): Promise<{ items: SecretInfo[]; nextCursor?: string }> {
    const rows = await this.db.all<Omit<SecretRow, "ciphertext">>("SELECT seq, name, created_at, updated_at FROM secrets WHERE seq > ? ORDER BY seq LIMIT ?", [
      cursorSeq(filter.cursor) ?? 0,
      filter.limit + 1,
    ]);
    return pageFrom(rows, filter.limit, infoFromRow);
  }

  /** True when a secret was deleted. */
  async delete(name: string): Promise<boolean> {
    return (await this.db.run("DELETE FROM secrets WHERE name = ?", [name])).changes > 0;
  }
}
