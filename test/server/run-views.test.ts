/** The run views of the web UI: the aggregated graph, the log search and the run's event stream. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RunEventSchema, RunGraphSchema, type RunEvent } from "../../src/api/run-views.js";
import { openApiDocument } from "../../src/server/openapi.js";
import { registerSampleFlow, rejection, sqliteTarget, startTestServer, type TestServer } from "./support.js";

/** Reads the run's event stream until `until` says stop (or the server ends it). */
async function readEvents(url: string, until: (events: RunEvent[]) => boolean, timeoutMs = 10_000): Promise<RunEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const events: RunEvent[] = [];
  try {
    const response = await fetch(url, { headers: { accept: "text/event-stream" }, signal: abort.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (!type || !data) continue;
        events.push(RunEventSchema.parse({ type, ...(JSON.parse(data) as object) }));
        if (until(events)) return events;
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

describe("run views", { timeout: 60_000 }, () => {
  const target = sqliteTarget();
  let t: TestServer;
  before(async () => {
    t = await startTestServer(target);
  });
  after(async () => {
    await t.close();
    await target.cleanup();
  });

  it("aggregates a run's graph: a mapped task is one node with its children's counts and retries", async () => {
    const { flowId } = await registerSampleFlow(t.client);
    const run = await t.client.createFlowRun({ flowId, parameters: { count: 3 } });
    await t.client.setFlowRunState(run.id, { name: "Running" });
    await t.client.setTaskRunStates(run.id, [
      { taskKey: "extract", state: { name: "Running", attempt: 1 } },
      { taskKey: "extract", state: { name: "Retrying", attempt: 1 } },
      { taskKey: "extract", state: { name: "Running", attempt: 2 } },
      { taskKey: "extract", state: { name: "Success" } },
      { taskKey: "load", state: { name: "Mapped", mapCount: 3 } },
      { taskKey: "load", mapIndex: 0, state: { name: "Success" } },
      { taskKey: "load", mapIndex: 1, state: { name: "Failed", error: { name: "Error", message: "x" } } },
      { taskKey: "load", mapIndex: 2, state: { name: "Running" } },
    ]);
    const res = await fetch(`${t.server.url}/api/flow-runs/${run.id}/graph`);
    assert.equal(res.status, 200);
    const graph = RunGraphSchema.parse(await res.json());
    const [extract, load] = graph.nodes;
    assert.deepEqual([extract?.key, extract?.state, extract?.attempts, extract?.retried, extract?.counts], ["extract", "Success", 2, 1, { Success: 1 }]);
    assert.deepEqual(
      [load?.key, load?.mapped, load?.children, load?.state, load?.counts, load?.upstream],
      ["load", true, 3, "Failed", { Success: 1, Failed: 1, Running: 1 }, ["extract"]],
    );
    assert.equal((await fetch(`${t.server.url}/api/flow-runs/nope/graph`)).status, 404);
  });

  it("searches every log line of a run on the server, case-insensitively, with a cursor to continue", async () => {
    const { flowId } = await registerSampleFlow(t.client);
    const run = await t.client.createFlowRun({ flowId, parameters: { count: 1 } });
    const lines = Array.from({ length: 12_000 }, (_, i) => ({
      flowRunId: run.id,
      level: i % 1000 === 999 ? ("error" as const) : ("info" as const),
      message: i % 1000 === 999 ? `Disk FULL at ${i}` : `line ${i}`,
    }));
    for (let i = 0; i < lines.length; i += 5000) await t.client.writeLogs(lines.slice(i, i + 5000));
    const search = async (query: string) =>
      (await fetch(`${t.server.url}/api/flow-runs/${run.id}/logs/search?${query}`)).json() as Promise<{
        items: { message: string; id: string }[];
        nextCursor?: string;
      }>;
    const all = await search("q=disk%20full");
    assert.deepEqual(
      all.items.map((l) => l.message),
      Array.from({ length: 12 }, (_, k) => `Disk FULL at ${k * 1000 + 999}`),
    );
    assert.equal(all.nextCursor, undefined, "every line was searched");
    const first = await search("q=disk&limit=5");
    assert.equal(first.items.length, 5);
    const rest = await search(`q=disk&after=${first.nextCursor}`);
    assert.equal(rest.items.length, 7);
    const error = await rejection(
      fetch(`${t.server.url}/api/flow-runs/${run.id}/logs/search`).then(async (r) => {
        if (!r.ok) throw Object.assign(new Error(await r.text()), { status: r.status });
      }),
    );
    assert.equal(error.status, 422, "q is required");
  });

  it("streams a run's state, task runs and logs as they change, then ends once it is finished", async () => {
    const { flowId } = await registerSampleFlow(t.client);
    const run = await t.client.createFlowRun({ flowId, parameters: { count: 1 } });
    await t.client.setFlowRunState(run.id, { name: "Running" });
    await t.client.setTaskRunStates(run.id, [{ taskKey: "extract", state: { name: "Running" } }]);
    await t.client.writeLogs([{ flowRunId: run.id, level: "info", message: "before the stream" }]);
    const url = `${t.server.url}/api/flow-runs/${run.id}/events`;
    const reading = readEvents(url, (events) => events.some((e) => e.type === "end"), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await t.client.setTaskRunStates(run.id, [{ taskKey: "extract", state: { name: "Success" } }]);
    await t.client.writeLogs([{ flowRunId: run.id, level: "warn", message: "during the stream" }]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await t.client.setFlowRunState(run.id, { name: "Success" });
    const events = await reading;
    assert.equal(events[0]?.type, "flow-run");
    const taskStates = events.flatMap((e) => (e.type === "task-runs" ? e.items.map((i) => i.state.name) : []));
    assert.deepEqual(taskStates, ["Running", "Success"]);
    const logs = events.flatMap((e) => (e.type === "logs" ? e.items.map((i) => i.message) : []));
    assert.deepEqual(logs, ["before the stream", "during the stream"]);
    const runStates = events.flatMap((e) => (e.type === "flow-run" ? [e.flowRun.state.name] : []));
    assert.deepEqual([runStates[0], runStates.at(-1)], ["Running", "Success"]);
    assert.equal(events.at(-1)?.type, "end");
    // Resuming after the last cursor sends no old line again.
    const lastCursor = events.filter((e) => e.type === "logs").at(-1);
    const again = await readEvents(`${url}?after=${lastCursor?.type === "logs" ? lastCursor.nextCursor : ""}`, (e) => e.some((x) => x.type === "end"));
    assert.deepEqual(
      again.filter((e) => e.type === "logs"),
      [],
    );
  });

  it("documents the three operations in the OpenAPI document", () => {
    const paths = Object.keys((openApiDocument() as { paths: Record<string, unknown> }).paths);
    for (const path of ["/api/flow-runs/{id}/graph", "/api/flow-runs/{id}/events", "/api/flow-runs/{id}/logs/search"])
      assert.ok(paths.includes(path), `${path} in ${paths.join(", ")}`);
  });
});
