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

/**
 * The platform's section of the configuration (`config.<name>`), and keys it adds to the `agent`
 * section. Shapes are built on first use, with zod passed in. Listed in src/platforms/config-sections.ts.
 */
export interface PlatformConfig<Section extends z.ZodRawShape = z.ZodRawShape, AgentKeys extends z.ZodRawShape = z.ZodRawShape> {
  /** The section's name: the platform's name. */
  name: string;
  /** Keys of `config.<platform name>`, with defaults and TSDoc. */
  section?: (z: Zod, kit: ConfigKit) => Section;
  /** Keys the platform's agent reads in `config.agent` (e.g. agent.dockerNetwork). */
  agentKeys?: (z: Zod, kit: ConfigKit) => AgentKeys;
}
