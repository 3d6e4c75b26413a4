/** The server's pure rules: labels, transitions, schedule slots, secret encryption, API keys, database URLs. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { agentAccepts, defaultAcceptUnlabelled, normalizeLabels } from "../../src/server/domain/labels.js";
import { decideFlowRunTransition, decideTaskRunTransition } from "../../src/server/domain/transitions.js";
import { slotsBetween, validateTiming } from "../../src/server/domain/schedule-slots.js";
import { SecretBox } from "../../src/server/domain/secret-box.js";
import { apiKeyMatches, apiKeyPrefix, generateApiKey } from "../../src/server/domain/api-key.js";
import { canonicalJson, contentHash } from "../../src/server/domain/canonical-json.js";
import { ParameterValidator } from "../../src/server/domain/parameters.js";
import { parseDatabaseUrl, redactUrl } from "../../src/server/database/index.js";
import { isLoopback } from "../../src/server/index.js";
import { timeOrderedId } from "../../src/server/database/ids.js";

describe("label rule", () => {
  it("an agent takes a run only when its labels include all of the run's", () => {
    const agent = { labels: ["eu", "gpu"], acceptUnlabelled: false };
    assert.equal(agentAccepts(agent, ["gpu"]), true);
    assert.equal(agentAccepts(agent, ["eu", "gpu"]), true);
    assert.equal(agentAccepts(agent, ["gpu", "us"]), false);
    assert.equal(agentAccepts(agent, []), false, "unlabelled work only with acceptUnlabelled");
    assert.equal(agentAccepts({ ...agent, acceptUnlabelled: true }, []), true);
  });

  it("acceptUnlabelled defaults to true exactly for agents without labels; labels are a sorted set", () => {
    assert.equal(defaultAcceptUnlabelled([]), true);
    assert.equal(defaultAcceptUnlabelled(["x"]), false);
    assert.deepEqual(normalizeLabels(["b", "a", "b"]), ["a", "b"]);
  });
});

describe("transitions", () => {
  it("a finished flow run changes no more; the same finished state again is a no-op", () => {
    assert.equal(decideFlowRunTransition("Success", "Running").kind, "reject");
    assert.equal(decideFlowRunTransition("Cancelled", "Failed").kind, "reject");
    assert.equal(decideFlowRunTransition("Failed", "Failed").kind, "noop");
    assert.equal(decideFlowRunTransition("Running", "Success").kind, "apply");
  });

  it("Submitted only from Scheduled or Pending; started runs cannot be put back by callers; Mapped is not a flow-run state", () => {
    assert.equal(decideFlowRunTransition("Scheduled", "Submitted").kind, "apply");
    assert.equal(decideFlowRunTransition("Running", "Submitted").kind, "reject");
    assert.equal(decideFlowRunTransition("Submitted", "Scheduled").kind, "apply", "an agent may hand a run back");
    assert.equal(decideFlowRunTransition("Running", "Scheduled").kind, "reject");
    assert.equal(decideFlowRunTransition("Running", "Mapped").kind, "reject");
  });

  it("task runs: anything until finished", () => {
    assert.equal(decideTaskRunTransition("Retrying", "Running").kind, "apply");
    assert.equal(decideTaskRunTransition("Mapped", "Running").kind, "reject");
    assert.equal(decideTaskRunTransition("Skipped", "Skipped").kind, "noop");
  });
});

describe("schedule slots", () => {
  const base = Date.UTC(2024, 0, 1, 0, 0, 0);
  it("interval slots are anchor + k × interval, after (exclusive) to until (inclusive)", () => {
    const timing = { cron: null, timezone: null, intervalMs: 600_000, anchor: base + 60_000 };
    assert.deepEqual(slotsBetween(timing, base, base + 1_800_000, 100), [base + 60_000, base + 660_000, base + 1_260_000]);
    assert.deepEqual(slotsBetween(timing, base + 60_000, base + 660_000, 100), [base + 660_000], "a slot equal to `after` was already handled");
    assert.deepEqual(slotsBetween(timing, base, base + 3_600_000, 2).length, 2, "at most `max`");
  });

  it("cron slots follow the expression in its time zone", () => {
    const utc = slotsBetween({ cron: "0 9 * * *", timezone: null, intervalMs: null, anchor: base }, base, base + 2 * 86_400_000, 10);
    assert.deepEqual(
      utc.map((s) => new Date(s).toISOString()),
      ["2024-01-01T09:00:00.000Z", "2024-01-02T09:00:00.000Z"],
    );
    const paris = slotsBetween({ cron: "0 9 * * *", timezone: "Europe/Paris", intervalMs: null, anchor: base }, base, base + 86_400_000, 10);
    assert.deepEqual(
      paris.map((s) => new Date(s).toISOString()),
      ["2024-01-01T08:00:00.000Z"],
    );
  });

  it("invalid timings name their field", () => {
    assert.throws(() => validateTiming({ cron: "61 * * * *", timezone: null, intervalMs: null, anchor: base }), { code: "INVALID_INPUT", field: "cron" });
    assert.throws(() => validateTiming({ cron: "* * * * *", timezone: "Nowhere/City", intervalMs: null, anchor: base }), { field: "timezone" });
  });
});

describe("secret box", () => {
  it("round-trips JSON values, with a fresh IV each time", () => {
    const box = new SecretBox("a passphrase");
    const a = box.encrypt("db", { password: "p" });
    const b = box.encrypt("db", { password: "p" });
    assert.notEqual(a, b);
    assert.deepEqual(box.decrypt("db", a), { password: "p" });
  });

  it("refuses a ciphertext moved to another name, tampered, or read with another key", () => {
    const box = new SecretBox("k1");
    const stored = box.encrypt("one", "value");
    assert.throws(() => box.decrypt("two", stored), /cannot be decrypted/);
    const parts = stored.split(":");
    parts[3] = Buffer.from("tampered").toString("base64");
    assert.throws(() => box.decrypt("one", parts.join(":")), /cannot be decrypted/);
    assert.throws(() => new SecretBox("k2").decrypt("one", stored), /not the one it was written with/);
  });
});

describe("API keys", () => {
  it("are random, carry a lookup prefix, and match only their hash", () => {
    const one = generateApiKey();
    const two = generateApiKey();
    assert.notEqual(one.key, two.key);
    assert.equal(apiKeyPrefix(one.key), one.prefix);
    assert.equal(apiKeyMatches(one.key, one.hash), true);
    assert.equal(apiKeyMatches(two.key, one.hash), false);
    assert.equal(apiKeyPrefix("Bearer nonsense"), undefined);
    assert.ok(!one.hash.includes(one.key.slice(13)));
  });
});

describe("content hash", () => {
  it("ignores key order and undefined fields", () => {
    assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
    assert.equal(contentHash({ a: 1, b: undefined }), contentHash({ a: 1 }));
    assert.notEqual(contentHash({ a: 1 }), contentHash({ a: 2 }));
  });
});

describe("parameter validation", () => {
  it("names each bad parameter with its value", () => {
    const validator = new ParameterValidator();
    const schema = { type: "object", properties: { when: { type: "string", format: "date" }, n: { type: "integer" } }, required: ["n"] };
    const errors = validator.check(schema, { when: "not a date" });
    assert.deepEqual(errors.map((e) => e.field).sort(), ["parameters.n", "parameters.when"]);
    assert.match(errors.find((e) => e.field === "parameters.when")!.message, /"not a date"/);
    assert.deepEqual(validator.check(schema, { n: 1, when: "2024-02-29" }), []);
    assert.throws(() => validator.compile({ type: 12 }), { field: "parameterSchema" });
  });
});

describe("database URLs and addresses", () => {
  it("parses SQLite and PostgreSQL URLs, with an optional schema", () => {
    assert.deepEqual(parseDatabaseUrl("sqlite:/var/lib/sluice.db"), { dialect: "sqlite", file: "/var/lib/sluice.db" });
    assert.deepEqual(parseDatabaseUrl("sqlite::memory:"), { dialect: "sqlite", file: ":memory:" });
    assert.deepEqual(parseDatabaseUrl("postgres://u@h:5432/db?schema=tenant_1"), {
      dialect: "postgres",
      connectionString: "postgres://u@h:5432/db",
      schema: "tenant_1",
    });
    assert.throws(() => parseDatabaseUrl("mysql://x"), { code: "CONFIG_INVALID", field: "server.databaseUrl" });
    assert.throws(() => parseDatabaseUrl("postgres://h/db?schema=Robert'); DROP"), { field: "server.databaseUrl" });
    assert.equal(redactUrl("postgres://user:secret@host/db"), "postgres://user:***@host/db");
  });

  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) assert.equal(isLoopback(host), true, host);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "example.com", "128.0.0.1"]) assert.equal(isLoopback(host), false, host);
  });
});

describe("time-ordered ids (task runs)", () => {
  it("are UUID version 7 strings, unique, and sort in the order of their time", () => {
    const ids = Array.from({ length: 3000 }, (_, i) => timeOrderedId(1_733_600_000_000 + Math.floor(i / 3)));
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length, "no two ids are equal, also within one millisecond");
    assert.equal(ids[0]!.slice(0, 13), "0193a29c-b800", "the first 48 bits are the time in ms");
    const byMs = (id: string) => id.slice(0, 13);
    const sorted = [...ids].sort();
    assert.deepEqual(sorted.map(byMs), ids.map(byMs), "ids of later milliseconds sort after earlier ones");
  });
});
