/**
 * The runner's own task-run ids and timestamps: the forms they promise, fresh ids every call, and a
 * timestamp that follows the clock.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isoNow } from "../../src/core/clock.js";
import { randomId } from "../../src/core/random-id.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("randomId", () => {
  it("gives version 4 UUIDs, all different, across many draws of random bytes", () => {
    const ids = Array.from({ length: 5000 }, () => randomId());
    for (const id of ids) assert.match(id, UUID_V4);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("uses every hex digit in every free position (the bytes are random, not a counter)", () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let n = 0; n < 2000; n++) [...randomId()].forEach((c, i) => seen[i]!.add(c));
    seen.forEach((chars, i) => {
      if ([8, 13, 18, 23].includes(i)) assert.deepEqual([...chars], ["-"]);
      else if (i === 14) assert.deepEqual([...chars], ["4"]);
      else if (i === 19) assert.deepEqual([...chars].sort(), ["8", "9", "a", "b"]);
      else assert.equal(chars.size, 16, `position ${i} took ${chars.size} of 16 digits`);
    });
  });
});

describe("isoNow", () => {
  it("reads as new Date().toISOString() of a moment between the reads around it", async () => {
    for (let n = 0; n < 20; n++) {
      const before = Date.now();
      const text = isoNow();
      const after = Date.now();
      assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const at = Date.parse(text);
      assert.ok(at >= before && at <= after, `${text} is not between ${new Date(before).toISOString()} and ${new Date(after).toISOString()}`);
      assert.equal(new Date(at).toISOString(), text);
      await new Promise((resolve) => setTimeout(resolve, n % 3));
    }
  });
});
