/** Flows: registration by content hash, versions, reads, and request validation (400/404/413/422). */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";

export function flowTests(get: () => TestServer): void {
  it("registers a flow once per content: same content → same version, changed content → next version", async () => {
    const { client } = get();
    const first = await registerSampleFlow(client, "etl", ["b", "a", "b"]);
    assert.equal(first.created, true);
    assert.equal(first.version, 1);
    assert.deepEqual(first.flow.labels, ["a", "b"], "labels are stored as a sorted set");
    const again = await registerSampleFlow(client, "etl", ["a", "b"]);
    assert.equal(again.created, false);
    assert.equal(again.flowId, first.flowId);
    const { environment, storage, parameterSchema, parameterDefaults, taskGraph } = first.flow;
    const changed = await client.registerFlow({
      name: "etl",
      environment,
      storage,
      parameterSchema,
      parameterDefaults,
      taskGraph,
      description: "now documented",
    });
    assert.equal(changed.created, true);
    assert.equal(changed.version, 2);
    assert.notEqual(changed.flowId, first.flowId);
    const byName = await client.listFlows({ name: "etl" });
    assert.deepEqual(
      byName.items.map((f) => f.version),
      [2, 1],
    );
    const fetched = await client.getFlow(first.flowId);
    assert.deepEqual(
      fetched.taskGraph.tasks.map((t) => t.key),
      ["extract", "load"],
    );
    assert.equal(fetched.storage.type, "ModuleStorage");
  });

  it("pages through flows with a cursor", async () => {
    const { client } = get();
    for (let i = 0; i < 5; i++) await registerSampleFlow(client, `paged-${i}`);
    const seen: string[] = [];
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listFlows({ limit: 2, ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((f) => f.id));
      names.push(...page.items.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    for (let i = 0; i < 5; i++) assert.ok(names.includes(`paged-${i}`));
    assert.equal(new Set(seen).size, seen.length, "no flow twice across pages");
  });

  it("answers 404 with code NOT_FOUND for an unknown flow id", async () => {
    const error = await rejection(get().client.getFlow("00000000-0000-0000-0000-000000000000"));
    assert.equal(error.status, 404);
    assert.equal(error.code, "NOT_FOUND");
    assert.equal(error.field, "id");
  });

  it("answers 422 naming each invalid field of a registration", async () => {
    const error = await rejection(
      get().client.registerFlow({
        name: "",
        environment: { type: "LocalEnvironment" },
        storage: { type: "ModuleStorage" },
        taskGraph: { tasks: [{ key: "a", name: "a", upstream: ["missing"] }] },
        // @ts-expect-error an unknown field is refused, not dropped
        colour: "blue",
      }),
    );
    assert.equal(error.status, 422);
    assert.equal(error.code, "INVALID_INPUT");
    const fields = (error.fields ?? []).map((f) => f.field).sort();
    assert.deepEqual(fields, ["colour", "name", "taskGraph.tasks.0.upstream.0"]);
  });

  it("answers 422 on parameterSchema when it is not a JSON schema", async () => {
    const { client } = get();
    const error = await rejection(
      client.registerFlow({ name: "bad-schema", environment: { type: "LocalEnvironment" }, storage: { type: "x" }, parameterSchema: { type: "no-such-type" } }),
    );
    assert.equal(error.status, 422);
    assert.equal(error.field, "parameterSchema");
  });

  it("answers 400 for malformed JSON and 413 for a body over the limit", async () => {
    const { server } = get();
    const malformed = await fetch(`${server.url}/api/flows`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name": "x",' });
    assert.equal(malformed.status, 400);
    const body = (await malformed.json()) as { error: { code: string; field: string; message: string } };
    assert.equal(body.error.code, "INVALID_INPUT");
    assert.equal(body.error.field, "body");
    assert.match(body.error.message, /not valid JSON/);

    const huge = JSON.stringify({ name: "x".repeat(100_000), environment: { type: "L" }, storage: { type: "s" } });
    const tooLarge = await fetch(`${server.url}/api/flows`, { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    assert.equal(tooLarge.status, 413);
    const large = (await tooLarge.json()) as { error: { code: string; message: string } };
    assert.equal(large.error.code, "PAYLOAD_TOO_LARGE");
    assert.match(large.error.message, /65536 bytes/);
  });

  it("answers 404 in the error shape for an unknown route, and serves the OpenAPI document", async () => {
    const { server, client } = get();
    const response = await fetch(`${server.url}/api/nothing-here`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
    const doc = (await client.openApi()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    assert.equal(doc.openapi, "3.1.0");
    const ids = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
    for (const id of [
      "registerFlow",
      "createFlowRun",
      "claimFlowRuns",
      "setTaskRunStates",
      "writeLogs",
      "readLogs",
      "createSchedule",
      "setSecret",
      "createApiKey",
      "health",
    ])
      assert.ok(ids.includes(id), `the OpenAPI document describes ${id}`);
    assert.ok(doc.paths["/api/flow-runs/{id}/state"]?.post, "path parameters are written {id}");
  });
}
