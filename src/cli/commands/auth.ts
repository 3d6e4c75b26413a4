/**
 * `sluice auth create-key --name n [--via api|database] | ls | revoke <id>`: API keys of the server.
 * `create-key` goes through the API when a key is configured (SLUICE__API__KEY), else straight to the
 * server's database (the bootstrap of a server started with auth on, which has no key yet); --via
 * chooses. The key is printed once: the server keeps only its hash. Exit codes: 0 done, 1 the server or
 * database failed, 2 bad input.
 */
import { Option, type Command } from "commander";
import type { CreatedApiKey } from "../../client/index.js";
import { loadConfig } from "../../config/index.js";
import { apiClient, connect, printLines, table, when } from "../api.js";
import { EXIT, printJson } from "../output.js";

export function register(program: Command): void {
  const auth = program.command("auth").description("Manage the server's API keys");

  auth
    .command("create-key")
    .description("Create an API key (printed once; the server keeps only its hash)")
    .requiredOption("--name <name>", "what the key is for, e.g. agent-prod")
    .addOption(new Option("--via <how>", "through the API, or straight into the database (bootstrap)").choices(["api", "database"]))
    .option("--json", "print the key and its details as JSON")
    .action(async (options: { name: string; via?: "api" | "database"; json?: boolean }) => {
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
        process.stderr.write(`Created API key ${created.id} (${created.name}) ${via === "api" ? "through the API" : "in the server's database"}. It is shown only now: store it, then set SLUICE__API__KEY.\n`);
      }
      process.exitCode = EXIT.ok;
    });

  auth
    .command("ls")
    .description("List API keys (never the keys themselves)")
    .option("--json", "print the list as JSON")
    .action(async (options: { json?: boolean }) => {
      const { client } = connect();
      const page = await client.listApiKeys({ limit: 1000 });
      if (options.json) printJson(page);
      else printLines(table(["ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"], page.items.map((k) => [k.id, k.name, k.prefix, when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)])));
      process.exitCode = EXIT.ok;
    });

  auth
    .command("revoke")
    .description("Revoke an API key")
    .argument("<id>", "the key's id (see auth ls)")
    .option("--json", "print { id, revoked: true } as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { client } = connect();
      await client.revokeApiKey(id);
      if (options.json) printJson({ id, revoked: true });
      else process.stdout.write(`API key ${id} revoked\n`);
      process.exitCode = EXIT.ok;
    });
}
