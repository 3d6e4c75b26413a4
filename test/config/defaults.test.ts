import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BASE_DEFAULTS } from "../../src/config/base-defaults.js";
import { configSchema } from "../../src/config/index.js";
import { configKit, withDefaults } from "../../src/config/kit.js";
import { zod } from "../../src/core/zod.js";

describe("configuration defaults, written once in tables", () => {
  it("gives a key named in the table its value as the default, a fresh copy on every parse, and leaves other keys as declared", () => {
    const z = zod();
    const { list } = configKit(z);
    const section = z.object(withDefaults({ names: list, port: z.number(), note: z.string().optional() }, { names: ["a"], port: 7 }, "test"));
    const first = section.parse({});
    assert.deepEqual(first, { names: ["a"], port: 7 });
    first.names.push("changed");
    assert.deepEqual(section.parse({}).names, ["a"], "the table is not shared with a parsed value");
    assert.deepEqual(section.parse({ port: 8, note: "n" }), { names: ["a"], port: 8, note: "n" });
  });

  it("a key without a default that is not optional stays required, so a table that forgets a key shows at the first parse", () => {
    const z = zod();
    const section = z.object(withDefaults({ port: z.number(), host: z.string() }, { port: 7 }, "test"));
    assert.equal(section.safeParse({}).success, false);
  });

  it("rejects a table naming a key the section does not have, naming the section and the key", () => {
    const z = zod();
    assert.throws(
      () => withDefaults({ port: z.number() }, { port: 1, prot: 2 } as { port: number }, "server"),
      /config\.server name "prot", which is not a key/,
    );
  });

  it("the schema takes the base sections' defaults from BASE_DEFAULTS", () => {
    const parsed: Record<string, unknown> = configSchema().parse({});
    for (const [section, table] of Object.entries(BASE_DEFAULTS)) {
      for (const [key, value] of Object.entries(table)) assert.deepEqual((parsed[section] as Record<string, unknown>)[key], value, `config.${section}.${key}`);
    }
  });
});
