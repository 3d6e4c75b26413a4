/** The client's transport: what it retries, what it does not, and how error answers become SluiceApiError. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient, SluiceApiError } from "../../src/client/index.js";

type Step = { status: number; body?: unknown } | { error: string };

/** A fetch that plays `steps` in order and records every call. */
function scripted(steps: Step[]) {
  const calls: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({
      url,
      method: init.method ?? "GET",
      headers: init.headers as Record<string, string>,
      ...(typeof init.body === "string" ? { body: init.body } : {}),
    });
    const step = steps.shift();
    if (!step) throw new Error("no more scripted answers");
    if ("error" in step) throw Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(step.error), { code: step.error }) });
    return new Response(step.body === undefined ? null : JSON.stringify(step.body), { status: step.status, headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;
  return { fetchImpl, calls };
}

const run = {
  id: "r1",
  flowId: "f1",
  flowName: "f",
  flowVersion: 1,
  name: null,
  parameters: {},
  labels: [],
  state: { name: "Running", timestamp: "2024-01-01T00:00:00.000Z" },
  version: 2,
  scheduledStart: "2024-01-01T00:00:00.000Z",
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: "2024-01-01T00:00:00.000Z",
  startedAt: null,
  endedAt: null,
  agentId: null,
  heartbeatAt: null,
  cancelRequested: false,
  resurrections: 0,
  scheduleId: null,
  idempotencyKey: null,
};
const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

describe("client transport", () => {
  it("retries any call whose connection was refused, and sends the key as a bearer token", async () => {
    const { fetchImpl, calls } = scripted([{ error: "ECONNREFUSED" }, { error: "ECONNREFUSED" }, { status: 200, body: { items: [] } }]);
    const client = createClient({ url: "http://sluice.test/", apiKey: "slk_abc", fetch: fetchImpl, retry: fast });
    assert.deepEqual(await client.claimFlowRuns({ agentId: "a" }), []);
    assert.equal(calls.length, 3);
    assert.equal(calls[0]!.url, "http://sluice.test/api/flow-runs/claim");
    assert.equal(calls[0]!.headers.authorization, "Bearer slk_abc");
  });

  it("does not replay a non-idempotent call after a connection broke mid-request, but does replay an idempotent one", async () => {
    const claim = scripted([{ error: "ECONNRESET" }, { status: 200, body: { items: [] } }]);
    const error = await createClient({ url: "http://sluice.test", fetch: claim.fetchImpl, retry: fast })
      .claimFlowRuns({ agentId: "a" })
      .catch((e: unknown) => e);
    assert.ok(error instanceof SluiceApiError);
    assert.equal(error.code, "SERVICE_UNAVAILABLE");
    assert.equal(error.status, 0);
    assert.match(error.message, /cannot reach the Sluice server at http:\/\/sluice\.test .*ECONNRESET/);
    assert.equal(claim.calls.length, 1);

    const get = scripted([{ error: "ECONNRESET" }, { status: 200, body: run }]);
    assert.equal((await createClient({ url: "http://sluice.test", fetch: get.fetchImpl, retry: fast }).getFlowRun("r1")).id, "r1");
    assert.equal(get.calls.length, 2);
  });

  it("retries 503 answers and gives up after the configured attempts", async () => {
    const { fetchImpl, calls } = scripted([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
    const error = await createClient({ url: "http://sluice.test", fetch: fetchImpl, retry: fast })
      .getFlowRun("r1")
      .catch((e: unknown) => e);
    assert.ok(error instanceof SluiceApiError);
    assert.equal(error.status, 503);
    assert.equal(calls.length, 4);
  });

  it("turns error answers into SluiceApiError with code, field and fields, without retrying", async () => {
    const body = {
      error: {
        code: "INVALID_PARAMETER",
        message: "invalid parameters",
        field: "parameters.n",
        fields: [{ field: "parameters.n", message: "must be integer" }],
      },
    };
    const { fetchImpl, calls } = scripted([{ status: 422, body }]);
    const error = await createClient({ url: "http://sluice.test", fetch: fetchImpl, retry: fast })
      .createFlowRun({ flowName: "f", parameters: { n: "x" } })
      .catch((e: unknown) => e);
    assert.ok(error instanceof SluiceApiError);
    assert.equal(error.status, 422);
    assert.equal(error.code, "INVALID_PARAMETER");
    assert.equal(error.field, "parameters.n");
    assert.deepEqual(error.fields, body.error.fields);
    assert.equal(error.operation, "createFlowRun");
    assert.equal(calls.length, 1);
    const sent = JSON.parse(calls[0]!.body!) as { idempotencyKey?: string };
    assert.ok(sent.idempotencyKey, "the client makes an idempotency key so a retried creation is not doubled");
  });

  it("stamps states with the client's clock, encodes path parameters and joins list queries", async () => {
    const { fetchImpl, calls } = scripted([
      { status: 200, body: run },
      { status: 200, body: { items: [] } },
    ]);
    const client = createClient({ url: "http://sluice.test", fetch: fetchImpl, retry: fast });
    await client.setFlowRunState("r/1", { name: "Running" });
    await client.listFlowRuns({ state: ["Running", "Failed"], limit: 5 });
    assert.equal(calls[0]!.url, "http://sluice.test/api/flow-runs/r%2F1/state");
    assert.match((JSON.parse(calls[0]!.body!) as { state: { timestamp: string } }).state.timestamp, /^\d{4}-\d\d-\d\dT/);
    assert.equal(calls[1]!.url, "http://sluice.test/api/flow-runs?state=Running%2CFailed&limit=5");
    assert.equal(calls[1]!.body, undefined);
    assert.equal(calls[1]!.headers["content-type"], undefined, "no content type without a body");
  });

  it("refuses an answer that does not match the API schema, saying so", async () => {
    const { fetchImpl } = scripted([{ status: 200, body: { id: 1 } }]);
    const error = await createClient({ url: "http://sluice.test", fetch: fetchImpl, retry: fast })
      .getFlowRun("r1")
      .catch((e: unknown) => e);
    assert.ok(error instanceof SluiceApiError);
    assert.match(error.message, /does not match this client's API schema/);
  });
});
