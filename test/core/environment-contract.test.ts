import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flow, task, Environment, EnvironmentBase, LocalEnvironment, createLogger, runWithHooks, SLUICE_VERSION } from "sluice";
import type { EnvironmentFlow, EnvironmentRunOptions, ExecuteOptions, ExecuteResult, FlowRunResult, RunEvent, SerializedEnvironment } from "sluice";

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "silent" as const };
const one = task("contract-one", async () => 1);
const oneFlow = flow("environment-contract-one", {}, () => one());

/** An environment written against the interface alone, reusing the shared run behaviour through runWithHooks. */
class PlainEnvironment implements Environment {
  readonly type = "PlainEnvironment";
  readonly labels = new Set(["plain"]);
  metadata = {};
  readonly imageFiles: readonly string[] = [];
  readonly calls: string[] = [];
  readonly onStart = () => void this.calls.push("onStart");
  readonly onExit = () => void this.calls.push("onExit");

  routesTo(agentLabels: Iterable<string>): boolean {
    const have = new Set(agentLabels);
    return [...this.labels].every((label) => have.has(label));
  }
  async setup(): Promise<void> {}
  async execute(f: EnvironmentFlow, options?: ExecuteOptions): Promise<ExecuteResult> {
    return { kind: "finished", result: await this.run(f, options) };
  }
  run(f: EnvironmentFlow, options?: EnvironmentRunOptions): Promise<FlowRunResult> {
    return runWithHooks(this, f, options);
  }
  serialize(): SerializedEnvironment {
    return { type: this.type, version: SLUICE_VERSION, labels: [...this.labels], metadata: {} };
  }
}

describe("the Environment contract", () => {
  it("an environment implementing the interface alone runs a flow with the shared hooks of runWithHooks", async () => {
    const env = new PlainEnvironment();
    const outcome = await env.execute(oneFlow, quiet);
    assert.equal(outcome.kind === "finished" && outcome.result.state.name, "Success");
    assert.deepEqual(env.calls, ["onStart", "onExit"]);
    assert.equal(env.routesTo(["plain", "x"]), true);
    assert.equal(env.routesTo([]), false);
  });

  it("runWithHooks fails the run when onStart throws, without calling onExit", async () => {
    const calls: string[] = [];
    const events: RunEvent[] = [];
    const boom = new Error("no start");
    const hooked = {
      type: "Hooked",
      onStart: () => {
        throw boom;
      },
      onExit: () => void calls.push("onExit"),
    };
    await assert.rejects(runWithHooks(hooked, oneFlow, { ...quiet, observers: [(e) => events.push(e)] }), (e: unknown) => e === boom);
    assert.deepEqual(calls, []);
    const state = events.find((e) => e.type === "flow-run-state");
    assert.equal(state?.type === "flow-run-state" && state.state.name, "Failed");
  });

  it("Environment is also the base class (EnvironmentBase), so the built-in kinds extend it and satisfy the interface", () => {
    assert.equal(Environment, EnvironmentBase);
    const local: Environment = new LocalEnvironment({ labels: ["a"] });
    assert.ok(local instanceof Environment);
    assert.deepEqual(local.serialize().labels, ["a"]);
  });
});
