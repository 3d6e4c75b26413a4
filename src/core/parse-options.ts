/**
 * Validates raw options against a zod schema at the edge, turning the first problem into an
 * INVALID_OPTION error that names the field, the value and what was expected. Shared by the storage and
 * environment kinds and their registries.
 */
import type { z } from "zod";
import { SluiceError, isSecretField, showFieldValue, showValue } from "../core/errors.js";

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses `raw` with `schema`; `owner` names the component in the message (e.g. "DockerStorage"). */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown, owner: string): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "options";
  const value = valueAt(raw, issue.path);
  let hint = issue.message;
  // A bad record key: zod reports "Invalid key in record" and keeps the key's own message inside.
  if (issue.code === "invalid_key") hint = issue.issues[0]?.message ?? hint;
  if (issue.code === "unrecognized_keys") {
    hint = `unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; check the spelling (see the ${owner} options in the docs)`;
  }
  const shown =
    issue.code === "invalid_key"
      ? `has the key ${showValue(issue.path[issue.path.length - 1])}`
      : `is ${value === undefined ? "missing or invalid" : showFieldValue(field, value)}`;
  throw new SluiceError("INVALID_OPTION", `${owner}: option ${field} ${shown}: ${hint}`, {
    field,
    ...(isSecretField(field) ? {} : { value }),
    cause: parsed.error,
  });
}
