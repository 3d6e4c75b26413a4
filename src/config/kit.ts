/**
 * Value parsers shared by every section of the configuration, base and platform alike: values from
 * SLUICE__* variables arrive as strings and become booleans, integers and lists here.
 */
import type { z } from "zod";
import type { Zod } from "../core/zod.js";

/** The parsers, built with the zod instance the schema is built with. */
export function configKit(z: Zod) {
  return {
    /** true/false, or "true" | "false" | "1" | "0" | "yes" | "no". */
    bool: z
      .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])], "use true or false (or 1 or 0, yes or no)")
      .transform((v) => (typeof v === "boolean" ? v : v === "true" || v === "1" || v === "yes")),
    /** An integer of at least `min` (strings are coerced). */
    int: (min: number) => z.coerce.number().int().min(min),
    /** A list of strings, or one comma-separated string. */
    list: z.union([z.array(z.string()), z.string()]).transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s.length > 0)),
  };
}

export type ConfigKit = ReturnType<typeof configKit>;

/** Default values of some keys of a section: plain data, so the defaults are known without loading zod. */
export type DefaultsTable = Readonly<Record<string, unknown>>;

/** A shape whose keys named in the defaults table `D` take their default from it. */
export type Defaulted<S extends Record<string, z.ZodType>, D> = { [K in keyof S]: K extends keyof D ? z.ZodDefault<S[K]> : S[K] };

/**
 * Gives each key of `shape` named in `table` the table's value as its default (a fresh copy on every
 * parse), so a default is written once: in the table, which the configuration without zod (defaults.ts)
 * is also built from. A table key that is not in the shape is a mistake in Sluice's code, reported with
 * `where` (the section's name).
 */
export function withDefaults<S extends Record<string, z.ZodType>, D extends { readonly [K in keyof S]?: z.output<S[K]> }>(
  shape: S,
  table: D,
  where: string,
): Defaulted<S, D> {
  const out: Record<string, z.ZodType> = { ...shape };
  for (const [key, value] of Object.entries(table)) {
    const schema: z.ZodType | undefined = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!schema) throw new Error(`the defaults of config.${where} name "${key}", which is not a key of that section; remove it or add the key`);
    out[key] = schema.default(() => structuredClone(value));
  }
  return out as Defaulted<S, D>;
}

/**
 * The platform's section of the configuration (`config.<name>`), and keys it adds to the `agent`
 * section. Shapes are built on first use, with zod passed in; their defaults are plain tables beside them.
 * Listed in src/platforms/config-sections.ts.
 */
export interface PlatformConfig<
  Section extends Record<string, z.ZodType> = Record<string, z.ZodType>,
  AgentKeys extends Record<string, z.ZodType> = Record<string, z.ZodType>,
> {
  /** The section's name: the platform's name. */
  name: string;
  /** Keys of `config.<platform name>`, with TSDoc; a key with a default is not `.optional()` and has its value in `defaults.section`. */
  section?: (z: Zod, kit: ConfigKit) => Section;
  /** Keys the platform's agent reads in `config.agent` (e.g. agent.dockerNetwork); defaults in `defaults.agentKeys`. */
  agentKeys?: (z: Zod, kit: ConfigKit) => AgentKeys;
  /** The default values of keys of `section` and `agentKeys`. @default {} (no key has a default) */
  defaults?: { section?: DefaultsTable; agentKeys?: DefaultsTable };
}
