/**
 * Property-based checks of the parsers and validators (fast-check): for any input, an option parser,
 * the parameter validator, the configuration loader and the API's input schemas either accept it or
 * refuse it with Sluice's own error naming a field; never a TypeError or a crash. Options that are
 * accepted survive serialization unchanged.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { z } from "zod";
import "../../src/index.js";
import { SluiceError } from "../../src/core/errors.js";
import type { JsonObject } from "../../src/core/executor.js";
import { deserializeEnvironment } from "../../src/core/environment.js";
import { validateParameters } from "../../src/core/parameters.js";
import { createEnvironment, environmentKinds } from "../../src/platforms/environment-registry.js";
import { createStorage } from "../../src/storage/registry.js";
import { loadConfig } from "../../src/config/index.js";
import { apiOperations } from "../../src/api/index.js";
import { fieldErrors } from "../../src/server/http/errors.js";
import { compileTaskOptions } from "../../src/core/task-options.js";

const RUNS = { numRuns: 150 };

/** Keys an option parser knows, mixed with random ones, so both kinds of problem come up. */
const optionKeys = [
  "labels",
  "metadata",
  "executor",
  "image",
  "env",
  "pull",
  "jobSpecFile",
  "maxWorkers",
  "minWorkers",
  "broker",
  "cpu",
  "launchType",
  "module",
  "files",
];
const anyOptions = fc.dictionary(fc.oneof(fc.constantFrom(...optionKeys), fc.string()), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

/** Runs `act`; anything thrown must be a SluiceError with one of `codes` and a field. */
async function onlySluiceErrors(act: () => unknown, codes: readonly string[]): Promise<void> {
  try {
    await act();
  } catch (error) {
    assert.ok(error instanceof SluiceError, `not a SluiceError: ${(error as Error)?.stack ?? String(error)}`);
    assert.ok(codes.includes(error.code), `code ${error.code}: ${error.message}`);
    assert.ok(error.field !== undefined, `the error names a field: ${error.message}`);
    assert.ok(error.message.length > 0 && error.message.length < 2000, "a message of a readable length");
  }
}

describe("property: option parsers refuse only with Sluice's error", () => {
  for (const kind of environmentKinds())
    it(`environment "${kind}": any options object`, async () => {
      await fc.assert(
        fc.asyncProperty(anyOptions, (options) => onlySluiceErrors(() => createEnvironment(kind, options as JsonObject), ["INVALID_OPTION"])),
        RUNS,
      );
    });

  for (const kind of ["local", "module", "docker"])
    it(`storage "${kind}": any options object`, async () => {
      await fc.assert(
        fc.asyncProperty(anyOptions, (options) => onlySluiceErrors(() => createStorage(kind, options as JsonObject), ["INVALID_OPTION"])),
        RUNS,
      );
    });

  it("task options: any object", async () => {
    const keys = ["retries", "retryDelayMs", "retryBackoff", "timeoutMs", "trigger", "cache", "tags", "description", "retryOnTimeout"];
    const options = fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string()), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(options, (o) => onlySluiceErrors(() => compileTaskOptions("t", o as never), ["INVALID_OPTION"])),
      RUNS,
    );
  });
});

describe("property: accepted options round-trip through serialization", () => {
  const label = fc.string({ minLength: 1, maxLength: 20 }).filter((l) => l.trim().length > 0);
  // A "__proto__" key is dropped on parsing (no prototype is ever set from input): leave it out here.
  const metadata = fc.dictionary(
    fc.string({ maxLength: 10 }).filter((k) => k !== "__proto__"),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  );
  for (const kind of ["local", "docker"])
    it(`environment "${kind}": labels and metadata come back as given (labels sorted, once each)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(label, { maxLength: 6 }), metadata, async (labels, meta) => {
          const options = { labels, metadata: meta, ...(kind === "docker" ? { image: "127.0.0.1:5000/x:1" } : {}) } as JsonObject;
          const serialized = (await createEnvironment(kind, options)).serialize();
          const again = JSON.parse(JSON.stringify(serialized)) as unknown;
          // Compared as JSON, the form it travels in (-0 is 0 there).
          const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
          assert.deepEqual(json(deserializeEnvironment(again).serialize()), again, "serialize → JSON → deserialize → serialize is stable");
          assert.deepEqual(serialized.labels, [...new Set(labels)].sort());
          assert.deepEqual(JSON.parse(JSON.stringify(serialized.metadata)), JSON.parse(JSON.stringify(meta)));
        }),
        RUNS,
      );
    });
});

describe("property: the parameter validator", () => {
  const schema = z.object({ n: z.number().int().min(1), name: z.string().default("x"), tags: z.array(z.string()).optional() });
  it("any value: the parsed parameters, or INVALID_PARAMETER naming the fields", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ n: fc.jsonValue({ maxDepth: 1 }), name: fc.jsonValue({ maxDepth: 1 }) })),
        async (raw) => {
          let parsed: Record<string, unknown> | undefined;
          await onlySluiceErrors(() => {
            parsed = validateParameters("f", schema, raw);
          }, ["INVALID_PARAMETER"]);
          if (parsed) assert.ok(schema.safeParse(parsed).success, "what it accepts meets the schema");
        },
      ),
      RUNS,
    );
  });

  it("valid parameters survive JSON (the form a deployed run receives) unchanged", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1 }), fc.string(), fc.array(fc.string(), { maxLength: 4 }), (n, name, tags) => {
        const first = validateParameters("f", schema, { n, name, tags });
        assert.deepEqual(validateParameters("f", schema, JSON.parse(JSON.stringify(first))), first);
      }),
      RUNS,
    );
  });
});

describe("property: configuration from SLUICE__ variables", () => {
  const names = [
    "SERVER__PORT",
    "SERVER__AUTH",
    "API__URL",
    "LOGGING__LEVEL",
    "AGENT__MAX_CONCURRENT_RUNS",
    "EXECUTOR__WORK_STEALING",
    "REPORTER__FLUSH_TIMEOUT_MS",
    "AGENT__LABELS",
  ];
  it("any values: a configuration, or CONFIG_INVALID naming the key", async () => {
    const env = fc.dictionary(
      fc.constantFrom(...names).map((n) => `SLUICE__${n}`),
      fc.string({ maxLength: 12 }),
      { maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(env, (vars) => onlySluiceErrors(() => loadConfig({ env: { SLUICE__HOME: "/tmp", ...vars }, file: false }), ["CONFIG_INVALID"])),
      RUNS,
    );
  });
});

describe("property: the API's input schemas", () => {
  const withBody = Object.values(apiOperations).filter((op) => "body" in op && op.body !== undefined);
  it(`any JSON into each of the ${withBody.length} request bodies: accepted, or field errors that each name a field`, () => {
    for (const op of withBody) {
      const schema = (op as { body: z.ZodType }).body;
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), (body) => {
          const result = schema.safeParse(body);
          if (result.success) return;
          const fields = fieldErrors(result.error, "", "body", body);
          assert.ok(fields.length > 0, `${op.id}: at least one field error`);
          for (const f of fields) {
            assert.ok(f.field.length > 0, `${op.id}: a field name`);
            assert.ok(f.message.startsWith(`${f.field}: `), `${op.id}: the message starts with its field: ${f.message}`);
          }
        }),
        { numRuns: 60 },
      );
    }
  });
});
