import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flow, makeState, skip, task, triggers, type State, type StateName, type TaskOptions } from "sluice";
import { quiet } from "./support.js";

const s = (...names: StateName[]): State[] => names.map((n) => makeState(n));

describe("built-in triggers", () => {
  const table: Array<[keyof typeof triggers, State[], boolean]> = [
    ["allSuccessful", s("Success", "Skipped", "Mapped"), true],
    ["allSuccessful", s("Success", "Failed"), false],
    ["allSuccessful", s("Success", "TimedOut"), false],
    ["allFinished", s("Success", "Failed", "Cancelled"), true],
    ["allFinished", s("Success", "Running"), false],
    ["anyFailed", s("Success", "TriggerFailed"), true],
    ["anyFailed", s("Success", "Skipped"), false],
    ["anySuccessful", s("Failed", "Success"), true],
    ["anySuccessful", s("Failed", "TimedOut"), false],
    ["allFailed", s("Failed", "TimedOut", "Cancelled"), true],
    ["allFailed", s("Failed", "Success"), false],
    ["manualOnly", s("Success"), false],
  ];
  for (const [name, states, expected] of table) {
    it(`${name}(${states.map((x) => x.name).join(", ")}) is ${expected}`, () => assert.equal(triggers[name](states), expected));
  }
});

const good = task("good", async () => 1);
const bad = task("bad", async () => {
  throw new Error("bad");
});
const quits = task("quits", async () => {
  throw skip("skip");
});

/** Runs `downstream(upstreams...)` where downstream has the given options; returns its final state. */
async function downstreamState(upstream: Array<typeof good>, options: TaskOptions<unknown>): Promise<State> {
  const down = task("down", async (_: unknown) => "ran", options);
  const f = flow("trigger-case", () => down(upstream.map((u) => u()) as never));
  const result = await f.run(quiet);
  return result.taskRun("down")!.state;
}

describe("triggers in a flow", () => {
  it("allSuccessful (default) runs after successes and fails after a failure", async () => {
    assert.equal((await downstreamState([good, good], {})).name, "Success");
    assert.equal((await downstreamState([good, bad], {})).name, "TriggerFailed");
  });

  it("allFinished runs whatever the upstream outcome", async () => {
    assert.equal((await downstreamState([good, bad], { trigger: "allFinished" })).name, "Success");
  });

  it("anyFailed runs only after a failure", async () => {
    assert.equal((await downstreamState([good, bad], { trigger: "anyFailed" })).name, "Success");
    assert.equal((await downstreamState([good, good], { trigger: "anyFailed" })).name, "TriggerFailed");
  });

  it("anySuccessful runs after at least one success", async () => {
    assert.equal((await downstreamState([bad, good], { trigger: "anySuccessful" })).name, "Success");
    assert.equal((await downstreamState([bad, bad], { trigger: "anySuccessful" })).name, "TriggerFailed");
  });

  it("allFailed runs only when every upstream failed", async () => {
    assert.equal((await downstreamState([bad, bad], { trigger: "allFailed" })).name, "Success");
    assert.equal((await downstreamState([bad, good], { trigger: "allFailed" })).name, "TriggerFailed");
  });

  it("manualOnly never runs automatically: Skipped, saying it needs approval", async () => {
    const state = await downstreamState([good], { trigger: "manualOnly" });
    assert.equal(state.name, "Skipped");
    assert.match(state.message ?? "", /manual approval/);
  });

  it("accepts a custom trigger function, and a throwing trigger fails the run's trigger", async () => {
    const seen: string[][] = [];
    const custom = (states: readonly State[]) => {
      seen.push(states.map((x) => x.name));
      return states.length === 2;
    };
    assert.equal((await downstreamState([good, bad], { trigger: custom })).name, "Success");
    assert.deepEqual(seen, [["Success", "Failed"]]);
    const state = await downstreamState([good], {
      trigger: () => {
        throw new Error("trigger broke");
      },
    });
    assert.equal(state.name, "TriggerFailed");
    assert.match(state.message ?? "", /trigger broke/);
  });

  it("skips downstream of a skipped task unless skipOnUpstreamSkip is false", async () => {
    assert.equal((await downstreamState([quits, good], {})).name, "Skipped");
    assert.equal((await downstreamState([quits, good], { skipOnUpstreamSkip: false })).name, "Success");
  });

  it("passes undefined for an upstream without a result when the trigger lets the task run", async () => {
    let received: unknown = "unset";
    const cleanup = task(
      "cleanup",
      async (x: unknown) => {
        received = x;
      },
      { trigger: "allFinished" },
    );
    await flow("undefined-input", () => cleanup(bad())).run(quiet);
    assert.equal(received, undefined);
  });

  it("runs a task without upstream whatever its trigger (nothing to wait for), except manualOnly", async () => {
    for (const trigger of ["anyFailed", "allFailed", "anySuccessful"] as const) {
      assert.equal((await downstreamState([], { trigger })).name, "Success", trigger);
    }
  });
});
