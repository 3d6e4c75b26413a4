/**
 * Flow parameters given on the command line: `--param k=v` (repeatable) and `--params-file f.json`.
 * A `--param` value is parsed as JSON when it parses (`n=3` is the number 3, `tags=["a","b"]` a list,
 * `flag=true` a boolean) and kept as a string otherwise (`name=world`). `--param` values win over the
 * file's. The flow's own schema validates the merged object afterwards; this module only parses.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SluiceError, showValue } from "../core/errors.js";

/** Parses one `--param` value: JSON when it parses, else the raw string. */
export function parseParamValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Turns the `--param k=v` arguments into an object. A missing `=`, an empty name or a repeated name is INVALID_INPUT naming the argument. */
export function parseParamArgs(args: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const name = eq < 0 ? "" : arg.slice(0, eq).trim();
    if (eq < 0 || name === "") {
      throw new SluiceError("INVALID_INPUT", `--param ${showValue(arg)} is not of the form name=value; write e.g. --param count=3 or --param name=world`, {
        field: "--param",
        value: arg,
      });
    }
    if (Object.hasOwn(out, name)) {
      throw new SluiceError(
        "INVALID_INPUT",
        `--param ${name} is given twice; give each parameter once (use a JSON list for several values, e.g. --param ${name}='["a","b"]')`,
        {
          field: `--param ${name}`,
          value: arg,
        },
      );
    }
    out[name] = parseParamValue(arg.slice(eq + 1));
  }
  return { ...out };
}

/** Reads a JSON file holding an object of parameters. Errors name the file and say what is wrong. */
export async function readParamsFile(path: string, cwd: string = process.cwd()): Promise<Record<string, unknown>> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new SluiceError("INVALID_INPUT", `--params-file ${file} cannot be read (${(cause as Error).message}): give the path of a readable JSON file`, {
      field: "--params-file",
      value: path,
      cause,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (cause) {
    throw new SluiceError(
      "INVALID_INPUT",
      `--params-file ${file} is not valid JSON (${(cause as Error).message}): fix the file, it must hold one JSON object`,
      {
        field: "--params-file",
        value: path,
        cause,
      },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SluiceError("INVALID_INPUT", `--params-file ${file} must hold a JSON object of parameters (e.g. {"count": 3}), not ${showValue(value, 40)}`, {
      field: "--params-file",
      value: path,
    });
  }
  return value as Record<string, unknown>;
}

/** The parameters of a run: the file's, overridden by each `--param`. */
export async function collectParameters(
  options: { param?: readonly string[]; paramsFile?: string },
  cwd: string = process.cwd(),
): Promise<Record<string, unknown>> {
  const fromFile = options.paramsFile === undefined ? {} : await readParamsFile(options.paramsFile, cwd);
  return { ...fromFile, ...parseParamArgs(options.param ?? []) };
}
