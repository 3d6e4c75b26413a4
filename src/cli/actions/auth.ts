/**
 * What `sluice auth create-key | ls | revoke` do (options in commands/auth.ts). `create-key` goes through
 * the API when a key is configured, else straight to the server's database (the bootstrap of a server
 * started with auth on); the key is printed once.
 */
import type { CreatedApiKey } from "../../client/index.js";
import { loadConfig } from "../../config/index.js";
import { apiClient, connect } from "../api.js";
import { EXIT, printJson, printLines, table, when } from "../output.js";

export async function createKey(options: { name: string; via?: "api" | "database"; json?: boolean }): Promise<number> {
  const config = loadConfig();
  const via = options.via ?? (config.api.key ? "api" : "database");
  let created: CreatedApiKey;
  if (via === "api") {
    created = await apiClient(config).createApiKey(options.name);
  } else {
    const { createApiKeyInDatabase } = await import("../../server/bootstrap.js");
    created = await createApiKeyInDatabase({ config, name: options.name });
  }
  if (options.json) printJson({ ...created, via });
  else {
    process.stdout.write(`${created.key}\n`);
    process.stderr.write(
      `Created API key ${created.id} (${created.name}) ${via === "api" ? "through the API" : "in the server's database"}. It is shown only now: store it, then set SLUICE__API__KEY.\n`,
    );
  }
  return EXIT.ok;
}

export async function listKeys(options: { json?: boolean }): Promise<number> {
  const { client } = connect();
  const page = await client.listApiKeys({ limit: 1000 });
  if (options.json) printJson(page);
  else
    printLines(
      table(
        ["ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"],
        page.items.map((k) => [k.id, k.name, k.prefix, when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)]),
      ),
    );
  return EXIT.ok;
}

export async function revokeKey(id: string, options: { json?: boolean }): Promise<number> {
  const { client } = connect();
  await client.revokeApiKey(id);
  if (options.json) printJson({ id, revoked: true });
  else process.stdout.write(`API key ${id} revoked\n`);
  return EXIT.ok;
}
