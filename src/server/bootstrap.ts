/**
 * What the server (and the CLI's server-side commands) derive from the configuration: the database URL,
 * the secret encryption key, and direct API-key creation for bootstrapping an auth-enabled server.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { SluiceError } from "../core/errors.js";
import { homeOf, type SluiceConfig } from "../config/index.js";
import type { CreatedApiKey } from "../api/api-keys.js";
import { openDatabase } from "./database/index.js";
import { SecretBox } from "./domain/secret-box.js";

/** The configured database URL, or the default SQLite file `<home>/sluice.db`. */
export const databaseUrlOf = (config: SluiceConfig): string => config.server.databaseUrl ?? `sqlite:${join(homeOf(config), "sluice.db")}`;

/**
 * The key that encrypts secrets: `server.encryptionKey` when set, else `<home>/secret.key`, generated
 * once (32 random bytes, hex, file mode 0600). Losing that file makes stored secrets unreadable.
 */
export function loadSecretBox(config: SluiceConfig): SecretBox {
  if (config.server.encryptionKey !== undefined) return new SecretBox(config.server.encryptionKey);
  const home = homeOf(config);
  const file = join(home, "secret.key");
  if (!existsSync(file)) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error; // another process wrote it first: use theirs
    }
  }
  chmodSync(file, 0o600);
  const hex = readFileSync(file, "utf8").trim();
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new SluiceError(
      "CONFIG_INVALID",
      `${file} must hold 64 hex characters (a 32-byte key); restore it from a backup or set SLUICE__SERVER__ENCRYPTION_KEY`,
      {
        field: "server.encryptionKey",
      },
    );
  return new SecretBox(Buffer.from(hex, "hex"));
}

/**
 * Creates an API key directly in the server's database (no running server or existing key needed):
 * the bootstrap of an auth-enabled server, used by `sluice auth create-key`. The key is in the answer
 * only; the database keeps its hash.
 */
export async function createApiKeyInDatabase(options: { config: SluiceConfig; name: string }): Promise<CreatedApiKey> {
  const db = await openDatabase(databaseUrlOf(options.config));
  try {
    return await db.apiKeys.create(options.name);
  } finally {
    await db.close();
  }
}
