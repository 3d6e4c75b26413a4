import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SluiceError, type RunEvent } from "sluice";
import { configSchema } from "../../src/config/schema.js";
import { parseOutputLine, type WireResult } from "../../src/environments/docker/event-lines.js";
import { runFlowEntry } from "../../src/environments/flow-entry.js";

const fixture = fileURLToPath(new URL("./fixtures/local-flow.ts", import.meta.url));
const config = configSchema.parse({ context: { flowRunId: "entry-run-1" }, logging: { level: "info" } });

async function entry(options: Parameters<typeof runFlowEntry>[0]): Promise<{ code: number; events: RunEvent[]; result?: WireResult; text: string[] }> {
  let out = "";
  const code = await runFlowEntry(options, config, (t) => void (out += t));
  const events: RunEvent[] = [];
  const text: string[] = [];
  let result: WireResult | undefined;
  for (const line of out.split("\n").filter(Boolean)) {
    const parsed = parseOutputLine(line);
    if (parsed.kind === "event") events.push(parsed.event);
    else if (parsed.kind === "result") result = parsed.result;
    else text.push(line);
  }
  return { code, events, ...(result ? { result } : {}), text };
}

describe("sluice execute flow (the container entry)", () => {
  it("runs the flow under the run id of the config and prints events and the result as lines", async () => {
    const { code, events, result, text } = await entry({ module: fixture, flow: "local-sum", parameters: '{"a": 5, "b": 6}', events: true });
    assert.equal(code, 0);
    assert.deepEqual(text, []);
    assert.equal(result?.flowRunId, "entry-run-1");
    assert.equal(result?.value, 11);
    assert.deepEqual(result?.taskRuns.map((t) => [t.taskKey, t.state.name]), [["add", "Success"]]);
    assert.deepEqual(
      events.filter((e) => e.type === "flow-run-state").map((e) => (e.type === "flow-run-state" ? e.state.name : "")),
      ["Running", "Success"],
    );
  });

  it("rejects parameters that are not a JSON object (bad input)", async () => {
    await assert.rejects(entry({ module: fixture, parameters: "[1]" }), (e: unknown) => e instanceof SluiceError && e.code === "INVALID_INPUT" && e.field === "--parameters");
    await assert.rejects(entry({ module: fixture, parameters: "{nope" }), (e: unknown) => e instanceof SluiceError && e.field === "--parameters");
  });

  it("reports a flow that cannot load as a Failed run state, then fails", async () => {
    let out = "";
    await assert.rejects(runFlowEntry({ module: fixture, flow: "no-such-flow", events: true }, config, (t) => void (out += t)), (e: unknown) => e instanceof SluiceError && e.code === "FLOW_LOAD_FAILED");
    const parsed = parseOutputLine(out.trim());
    assert.equal(parsed.kind === "event" && parsed.event.type === "flow-run-state" && parsed.event.state.name, "Failed");
    assert.match(out, /no flow named \\"no-such-flow\\"/);
  });

  it("exits 1 when the run fails, with the result line saying why", async () => {
    const failing = fileURLToPath(new URL("./fixtures/failing-flow.ts", import.meta.url));
    const { code, result } = await entry({ module: failing, events: true });
    assert.equal(code, 1);
    assert.equal(result?.state.name, "Failed");
    assert.match(result?.taskRuns[0]?.state.error?.message ?? "", /broken on purpose/);
  });
});
