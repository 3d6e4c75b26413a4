/** The runs list's filter in the page: URL round trip, the server query, the same rule in the page, merging live changes. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FlowRun } from "../../src/client/index.js";
import { createdRange, EMPTY_FILTER, filterFromSearch, matchesFilter, searchFromFilter, serverQuery, type RunFilter } from "../../src/ui/api/run-filter.js";
import { advance, changesFrom, mergeChanges } from "../../src/ui/api/run-changes.js";

const NOW = Date.parse("2026-12-07T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function run(id: string, fields: Partial<FlowRun> = {}): FlowRun {
  const flow = { flowId: "f1", flowName: "etl", flowVersion: 1, name: null, parameters: {}, labels: [], version: 1, resurrections: 0 };
  const times = { scheduledStart: iso(NOW), createdAt: iso(NOW - 1000), updatedAt: iso(NOW - 1000), startedAt: null, endedAt: null, heartbeatAt: null };
  const links = { agentId: null, cancelRequested: false, scheduleId: null, idempotencyKey: null };
  return { id, ...flow, ...times, ...links, state: { name: "Scheduled", timestamp: iso(NOW - 1000) }, ...fields };
}

const filter = (change: Partial<RunFilter>): RunFilter => ({ ...EMPTY_FILTER, ...change });

describe("the runs filter", () => {
  it("goes to the URL and back unchanged, leaving empty fields out", () => {
    const f = filter({ states: ["Failed", "Running"], flow: "etl", label: "prod,eu", from: iso(NOW - 3_600_000), q: "night" });
    const search = searchFromFilter(f);
    assert.equal(search.get("since"), null);
    assert.deepEqual(filterFromSearch(new URLSearchParams(search.toString())), f);
  });

  it("asks the server with every field; a live refresh leaves the state out", () => {
    const f = filter({ states: ["Failed", "NotAState"], flow: "etl", label: " prod , eu ,", since: "1h", q: "  night " });
    assert.deepEqual(serverQuery(f, true, NOW), {
      state: ["Failed"],
      flowName: "etl",
      label: ["prod", "eu"],
      q: "night",
      createdAfter: iso(NOW - 3_600_000),
    });
    assert.equal(serverQuery(f, false, NOW).state, undefined);
    assert.deepEqual(serverQuery(filter({ from: iso(NOW - 10), to: iso(NOW) }), true, NOW), { createdAfter: iso(NOW - 10), createdBefore: iso(NOW) });
  });

  it("names what is wrong with a range from the URL", () => {
    assert.match(createdRange(filter({ since: "yesterday" }), NOW).problem ?? "", /since=yesterday is not a window/);
    assert.match(createdRange(filter({ from: "soon" }), NOW).problem ?? "", /from=soon is not a date/);
    assert.match(createdRange(filter({ from: iso(NOW), to: iso(NOW - 1) }), NOW).problem ?? "", /swap them/);
    assert.equal(serverQuery(filter({ from: "soon" }), true, NOW).createdAfter, undefined);
  });

  it("matches in the page as the server does: every label, id start or name part, creation range", () => {
    const r = run("ab12cd34-0000", { name: "Nightly-ETL", labels: ["eu", "prod"], createdAt: iso(NOW - 5000) });
    assert.ok(matchesFilter(r, filter({ label: "prod,eu", q: "etl" }), NOW));
    assert.ok(matchesFilter(r, filter({ q: "ab12" }), NOW));
    assert.ok(!matchesFilter(r, filter({ label: "prod,us" }), NOW));
    assert.ok(!matchesFilter(r, filter({ q: "12cd" }), NOW), "an id matches by its start only");
    assert.ok(matchesFilter(r, filter({ from: iso(NOW - 5000), to: iso(NOW - 4999) }), NOW));
    assert.ok(!matchesFilter(r, filter({ to: iso(NOW - 5000) }), NOW), "before `to`, strictly");
    assert.ok(!matchesFilter(r, filter({ since: "15m" }), NOW + 15 * 60_000), "a relative window moves on");
  });
});

describe("merging live changes", () => {
  const running = filter({ states: ["Running"] });

  it("adds runs that entered the filter, replaces newer versions, drops runs that left it", () => {
    const a = run("a", { state: { name: "Running", timestamp: iso(NOW) }, createdAt: iso(NOW - 3000) });
    const b = run("b", { state: { name: "Running", timestamp: iso(NOW) }, createdAt: iso(NOW - 2000) });
    const old = [b, a];
    const bDone = { ...b, version: 3, state: { name: "Success" as const, timestamp: iso(NOW + 10) }, updatedAt: iso(NOW + 10) };
    const c = run("c", { state: { name: "Running", timestamp: iso(NOW) }, createdAt: iso(NOW - 1000), version: 2 });
    const merged = mergeChanges(old, [bDone, c], running, NOW);
    assert.deepEqual(
      merged.map((r) => r.id),
      ["c", "a"],
    );
  });

  it("keeps the same list when nothing new came (a re-read, an older version, a run that never matched)", () => {
    const a = run("a", { state: { name: "Running", timestamp: iso(NOW) }, version: 4 });
    const old = [a];
    const stale = { ...a, version: 3, updatedAt: iso(NOW - 5000) };
    const outsider = run("z");
    assert.equal(mergeChanges(old, [a, stale, outsider], running, NOW), old);
  });

  it("looks again a while before the newest change just after it moved, then from the change itself", () => {
    const first = advance({ at: 0, movedAt: 0 }, [run("a", { updatedAt: iso(NOW) })], 1000);
    assert.deepEqual(first, { at: NOW, movedAt: 1000 });
    assert.equal(changesFrom(first, 1000 + 4999, 5000), NOW - 5000, "within the overlap");
    assert.equal(changesFrom(first, 1000 + 5000, 5000), NOW, "settled");
    assert.equal(advance(first, [run("b", { updatedAt: iso(NOW - 1) })], 9000), first, "an older change does not move it");
    assert.deepEqual(advance(first, [run("c", { updatedAt: iso(NOW + 7) })], 9000), { at: NOW + 7, movedAt: 9000 });
  });
});
