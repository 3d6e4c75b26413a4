import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SluiceError, type RunEvent } from "sluice";
import { configSchema } from "../../src/config/schema.js";
import { parseOutputLine, type WireResult } from "../../src/deployment/event-lines.js";
import { runFlowEntry } from "../../src/deployment/flow-entry.js";

const fixture = fileURLToPath(new URL("../platforms/fixtures/local-flow.ts", import.meta.url));
const config = configSchema().parse({ context: { flowRunId: "entry-run-1" }, logging: { level: "info" } });

async function entry(
  options: Parameters<typeof runFlowEntry>[0],
  onOutput?: (text: string) => void,
): Promise<{ code: number; events: RunEvent[]; result?: WireResult; text: string[] }> {
  let out = "";
  const code = await runFlowEntry(options, config, (t) => {
    out += t;
    onOutput?.(t);
  });
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
    assert.deepEqual(
      result?.taskRuns.map((t) => [t.taskKey, t.state.name]),
      [["add", "Success"]],
    );
    assert.deepEqual(
      events.filter((e) => e.type === "flow-run-state").map((e) => (e.type === "flow-run-state" ? e.state.name : "")),
      ["Running", "Success"],
    );
  });

  it("rejects parameters that are not a JSON object (bad input)", async () => {
    await assert.rejects(
      entry({ module: fixture, parameters: "[1]" }),
      (e: unknown) => e instanceof SluiceError && e.code === "INVALID_INPUT" && e.field === "--parameters",
    );
    await assert.rejects(entry({ module: fixture, parameters: "{nope" }), (e: unknown) => e instanceof SluiceError && e.field === "--parameters");
  });

  it("reports a flow that cannot load as a Failed run state, then fails", async () => {
    let out = "";
    await assert.rejects(
      runFlowEntry({ module: fixture, flow: "no-such-flow", events: true }, config, (t) => void (out += t)),
      (e: unknown) => e instanceof SluiceError && e.code === "FLOW_LOAD_FAILED",
    );
    const parsed = parseOutputLine(out.trim());
    assert.equal(parsed.kind === "event" && parsed.event.type === "flow-run-state" && parsed.event.state.name, "Failed");
    assert.match(out, /no flow named \\"no-such-flow\\"/);
  });

  describe("signals", () => {
    const slow = fileURLToPath(new URL("./fixtures/slow-flow.ts", import.meta.url));
    /** Runs the slow flow and sends `signal` to this process (its handlers) once the task runs. */
    const stopWith = (signal: NodeJS.Signals) => {
      let sent = false;
      return entry({ module: slow, events: true }, (text) => {
        if (!sent && text.includes("napping")) {
          sent = true;
          setImmediate(() => process.emit(signal));
        }
      });
    };
    const flowStates = (events: RunEvent[]): string[] => events.flatMap((e) => (e.type === "flow-run-state" ? [e.state.name] : []));

    it("SIGINT cancels the run: it ends Cancelled (what DockerEnvironment sends to cancel)", { timeout: 30_000 }, async () => {
      const { code, events, result } = await stopWith("SIGINT");
      assert.equal(code, 1);
      assert.equal(result?.state.name, "Cancelled");
      assert.equal(result?.taskRuns[0]?.state.name, "Cancelled");
      assert.deepEqual(flowStates(events), ["Running", "Cancelled"]);
    });

    for (const signal of ["SIGTERM", "SIGHUP"] as const) {
      it(`${signal} stops the run from outside: it ends Failed naming the signal, in the events and the result`, { timeout: 30_000 }, async () => {
        const { code, events, result } = await stopWith(signal);
        assert.equal(code, 1);
        const message = new RegExp(`^terminated by ${signal}: the container/pod was stopped from outside \\(eviction, deletion, node drain, docker stop\\)$`);
        assert.equal(result?.state.name, "Failed");
        assert.match(result?.state.message ?? "", message);
        assert.equal(result?.state.error?.code, "TERMINATED");
        assert.equal(result?.taskRuns[0]?.state.name, "Failed");
        assert.match(result?.taskRuns[0]?.state.message ?? "", message);
        assert.deepEqual(flowStates(events), ["Running", "Failed"]);
        assert.ok(
          !events.some((e) => (e.type === "flow-run-state" || e.type === "task-run-state") && e.state.name === "Cancelled"),
          "no Cancelled state is reported",
        );
      });
    }
  });

  it("exits 1 when the run fails, with the result line saying why", async () => {
    const failing = fileURLToPath(new URL("./fixtures/failing-flow.ts", import.meta.url));
    const { code, result } = await entry({ module: failing, events: true });
    assert.equal(code, 1);
    assert.equal(result?.state.name, "Failed");
    assert.match(result?.taskRuns[0]?.state.error?.message ?? "", /broken on purpose/);
  });
});
