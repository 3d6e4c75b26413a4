/**
 * What `sluice secret set | ls | rm` do (flags in commands/secret.ts, where the value is read): calls of
 * the server's secrets API; lists never show values.
 */
import { connect } from "../api.js";
import { EXIT, printJson, printLines, table, when } from "../output.js";

/** `secret set`: `value` is already read and parsed (see secretValue). */
export async function setSecret(name: string, value: unknown, json: boolean): Promise<number> {
  const { client } = connect();
  const info = await client.setSecret(name, value);
  if (json) printJson(info);
  else process.stdout.write(`Secret ${info.name} set\n`);
  return EXIT.ok;
}

/** `secret ls`: every page of names and dates. */
export async function listSecrets(json: boolean): Promise<number> {
  const { client } = connect();
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await client.listSecrets({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  if (json) printJson({ items });
  else if (items.length === 0) process.stdout.write("no secrets\n");
  else
    printLines(
      table(
        ["NAME", "CREATED", "UPDATED"],
        items.map((s) => [s.name, when(s.createdAt), when(s.updatedAt)]),
      ),
    );
  return EXIT.ok;
}

/** `secret rm`. */
export async function deleteSecret(name: string, json: boolean): Promise<number> {
  const { client } = connect();
  await client.deleteSecret(name);
  if (json) printJson({ name, deleted: true });
  else process.stdout.write(`Secret ${name} deleted\n`);
  return EXIT.ok;
}
