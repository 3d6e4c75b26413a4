/** The runs list's filters: labels, free text (id prefix or name part), creation range, changes since an instant. */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { FlowRun } from "../../../src/client/index.js";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";

const ids = (page: { items: FlowRun[] }): string[] => page.items.map((r) => r.id);

/** Resolves once the clock has passed `iso` (so the next write carries a later time). */
async function clockPast(iso: string): Promise<void> {
  while (Date.now() <= Date.parse(iso)) await new Promise((resolve) => setImmediate(resolve));
}

export function flowRunFilterTests(get: () => TestServer): void {
  it("documents the filters in the OpenAPI document", async () => {
    const doc = (await get().client.openApi()) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    const names = (doc.paths["/api/flow-runs"]?.get?.parameters ?? []).map((p) => p.name);
    for (const name of ["label", "q", "createdAfter", "createdBefore", "updatedAfter"]) assert.ok(names.includes(name), `${name} in ${names.join(",")}`);
  });

  it("filters by labels: a run must have every label asked for", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "filter-labels");
    const make = (labels: string[]) => client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, labels });
    const a = await make(["fl-a"]);
    const ab = await make(["fl-a", "fl-b"]);
    const b = await make(["fl-b", "other"]);
    await make([]);
    assert.deepEqual(ids(await client.listFlowRuns({ label: ["fl-a"] })), [ab.id, a.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ label: ["fl-b", "fl-a"] })), [ab.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ label: ["fl-b"], flowId: flow.flowId })), [b.id, ab.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ label: ["fl-c"] })), []);
    // With pages: the cursor keeps the filter's order.
    const first = await client.listFlowRuns({ label: ["fl-a"], limit: 1 });
    assert.deepEqual(ids(first), [ab.id]);
    assert.ok(first.nextCursor);
    assert.deepEqual(ids(await client.listFlowRuns({ label: ["fl-a"], limit: 1, cursor: first.nextCursor })), [a.id]);
  });

  it("filters by free text: the start of an id, or part of a name in any case, taken literally", async () => {
    const { client, server } = get();
    const flow = await registerSampleFlow(client, "filter-text");
    const make = (name?: string) => client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, ...(name === undefined ? {} : { name }) });
    const one = await make("nightly-etl-1");
    const two = await make("Nightly-ETL-2");
    const other = await make("adhoc");
    const percent = await make("100%_done");
    const unnamed = await make();
    const inFlow = { flowId: flow.flowId };
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, q: "etl" })), [two.id, one.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, q: "NIGHTLY-etl-1" })), [one.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, q: unnamed.id })), [unnamed.id], "a whole id");
    assert.deepEqual(ids(await client.listFlowRuns({ q: other.id.slice(0, 13) })), [other.id], "the start of an id, in every flow");
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, q: "%_" })), [percent.id], "% and _ are matched as themselves");
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, q: "nothing-like-it" })), []);
    // The query string is trimmed; a blank one is refused, naming the field.
    const spaced = await fetch(`${server.url}/api/flow-runs?flowId=${flow.flowId}&q=%20adhoc%20`);
    assert.deepEqual(
      ((await spaced.json()) as { items: FlowRun[] }).items.map((r) => r.id),
      [other.id],
    );
    const blank = await fetch(`${server.url}/api/flow-runs?q=%20%20`);
    assert.equal(blank.status, 422);
    assert.match(await blank.text(), /"field":"q"/);
  });

  it("filters by creation time: at or after createdAfter, strictly before createdBefore", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "filter-time");
    const runs: FlowRun[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
      runs.push(run);
      await clockPast(run.createdAt);
    }
    const [r0, r1, r2] = runs as [FlowRun, FlowRun, FlowRun];
    const inFlow = { flowId: flow.flowId };
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, createdAfter: r1.createdAt })), [r2.id, r1.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, createdBefore: r1.createdAt })), [r0.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, createdAfter: r0.createdAt, createdBefore: r2.createdAt })), [r1.id, r0.id]);
    // An offset other than Z names the same instant.
    const shifted = new Date(Date.parse(r2.createdAt) + 3_600_000).toISOString().replace("Z", "+01:00");
    assert.deepEqual(ids(await client.listFlowRuns({ ...inFlow, createdAfter: shifted })), [r2.id]);

    const reversed = await rejection(client.listFlowRuns({ createdAfter: r2.createdAt, createdBefore: r0.createdAt }));
    assert.equal(reversed.status, 422);
    assert.equal(reversed.field, "createdBefore");
    assert.match(reversed.message, /must be later than createdAfter/);
    const notADate = await rejection(client.listFlowRuns({ createdAfter: "yesterday" }));
    assert.equal(notADate.status, 422);
    assert.equal(notADate.field, "createdAfter");
  });

  it("answers the runs changed at or after updatedAfter, whatever the other filters leave out", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "filter-changes");
    const quiet = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, labels: ["fl-live"] });
    const busy = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, labels: ["fl-live"] });
    await clockPast(busy.updatedAt);
    const mark = new Date().toISOString();
    await clockPast(mark);
    assert.deepEqual(ids(await client.listFlowRuns({ flowId: flow.flowId, updatedAfter: mark })), []);
    const running = await client.setFlowRunState(busy.id, { name: "Running" });
    const fresh = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 }, labels: ["fl-live"] });
    assert.ok(Date.parse(running.updatedAt) >= Date.parse(mark));
    assert.deepEqual(ids(await client.listFlowRuns({ flowId: flow.flowId, updatedAfter: mark })), [fresh.id, busy.id]);
    assert.deepEqual(ids(await client.listFlowRuns({ label: ["fl-live"], updatedAfter: mark, state: ["Running"] })), [busy.id]);
    await clockPast(fresh.updatedAt);
    const cancelled = await client.cancelFlowRun(quiet.id);
    assert.deepEqual(ids(await client.listFlowRuns({ flowId: flow.flowId, updatedAfter: cancelled.updatedAt })), [quiet.id]);
  });
}
