/**
 * `sluice auth create-key --name n [--via api|database] | ls | revoke <id>`: API keys of the server.
 * `create-key` goes through the API when a key is configured (SLUICE__API__KEY), else straight to the
 * server's database (the bootstrap of a server started with auth on, which has no key yet); --via
 * chooses. The key is printed once: the server keeps only its hash. Exit codes: 0 done, 1 the server or
 * database failed, 2 bad input. The work is in actions/auth.ts, imported when a subcommand runs.
 */
import { Option, type Command } from "commander";

export function register(program: Command): void {
  const auth = program.command("auth").description("Manage the server's API keys");

  auth
    .command("create-key")
    .description("Create an API key (printed once; the server keeps only its hash)")
    .requiredOption("--name <name>", "what the key is for, e.g. agent-prod")
    .addOption(new Option("--via <how>", "through the API, or straight into the database (bootstrap)").choices(["api", "database"]))
    .option("--json", "print the key and its details as JSON")
    .action(async (options: { name: string; via?: "api" | "database"; json?: boolean }) => {
      const { createKey } = await import("../actions/auth.js");
      process.exitCode = await createKey(options);
    });

  auth
    .command("ls")
    .description("List API keys (never the keys themselves)")
    .option("--json", "print the list as JSON")
    .action(async (options: { json?: boolean }) => {
      const { listKeys } = await import("../actions/auth.js");
      process.exitCode = await listKeys(options);
    });

  auth
    .command("revoke")
    .description("Revoke an API key")
    .argument("<id>", "the key's id (see auth ls)")
    .option("--json", "print { id, revoked: true } as JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const { revokeKey } = await import("../actions/auth.js");
      process.exitCode = await revokeKey(id, options);
    });
}
