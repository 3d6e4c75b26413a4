/**
 * `sluice secret set <name> [value] [--from-file f] [--json-value] | ls | rm <name>`: secrets on the
 * server (encrypted at rest; lists never show values). A value is a string unless --json-value parses it
 * as JSON (e.g. registry credentials as an object). Exit codes: 0 done, 1 the server refused or failed,
 * 2 bad input. The calls of the server are in actions/secret.ts, imported when a subcommand runs.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { SluiceError, showValue } from "../../core/errors.js";

interface SetOptions {
  fromFile?: string;
  jsonValue?: boolean;
  json?: boolean;
}

/** The value to store: the argument or the file's text, parsed as JSON with --json-value. */
export async function secretValue(value: string | undefined, options: SetOptions): Promise<unknown> {
  if ((value === undefined) === (options.fromFile === undefined)) {
    throw new SluiceError("INVALID_INPUT", "give the secret's value either as an argument or with --from-file <file>, not both or neither", { field: "value" });
  }
  let text = value;
  if (options.fromFile !== undefined) {
    const file = resolve(options.fromFile);
    try {
      text = await readFile(file, "utf8");
    } catch (cause) {
      throw new SluiceError("INVALID_INPUT", `--from-file ${file} cannot be read: ${(cause as Error).message}`, {
        field: "--from-file",
        value: options.fromFile,
        cause,
      });
    }
  }
  if (!options.jsonValue) return text;
  try {
    return JSON.parse(text!) as unknown;
  } catch (cause) {
    throw new SluiceError("INVALID_INPUT", `--json-value: the value ${showValue(text, 40)} is not JSON: ${(cause as Error).message}`, {
      field: "--json-value",
      cause,
    });
  }
}

export function register(program: Command): void {
  const secret = program.command("secret").description("Manage secrets on the server (encrypted at rest)");

  secret
    .command("set")
    .description("Create or replace a secret")
    .argument("<name>", "1 to 200 letters, digits, '_', '.' or '-'")
    .argument("[value]", "the value (or --from-file)")
    .option("--from-file <file>", "read the value from a file")
    .option("--json-value", "parse the value as JSON instead of storing it as a string")
    .option("--json", "print the secret's name and dates as JSON")
    .action(async (name: string, value: string | undefined, options: SetOptions) => {
      const stored = await secretValue(value, options);
      const { setSecret } = await import("../actions/secret.js");
      process.exitCode = await setSecret(name, stored, options.json === true);
    });

  secret
    .command("ls")
    .description("List secrets (names and dates, never values)")
    .option("--json", "print the list as JSON")
    .action(async (options: { json?: boolean }) => {
      const { listSecrets } = await import("../actions/secret.js");
      process.exitCode = await listSecrets(options.json === true);
    });

  secret
    .command("rm")
    .description("Delete a secret")
    .argument("<name>", "the secret's name")
    .option("--json", "print { name, deleted: true } as JSON")
    .action(async (name: string, options: { json?: boolean }) => {
      const { deleteSecret } = await import("../actions/secret.js");
      process.exitCode = await deleteSecret(name, options.json === true);
    });
}
