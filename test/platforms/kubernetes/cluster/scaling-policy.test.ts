/** The adaptive scaling policy of worker clusters, with plain numbers. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { desiredWorkers, planScaling, type ScalingSettings, type WorkerPodView } from "../../../../src/platforms/kubernetes/cluster/scaling-policy.js";

const settings: ScalingSettings = { minWorkers: 1, maxWorkers: 3, tasksPerWorker: 4, scaleDownDelayMs: 1000 };
const pod = (name: string, createdAt: number, live = true, busy = false): WorkerPodView => ({ name, createdAt, live, busy });

describe("desiredWorkers", () => {
  it("wants enough workers for the waiting and running attempts, within min and max", () => {
    assert.equal(desiredWorkers({ waiting: 0, active: 0 }, settings), 1, "never below min");
    assert.equal(desiredWorkers({ waiting: 3, active: 1 }, settings), 1);
    assert.equal(desiredWorkers({ waiting: 4, active: 1 }, settings), 2, "5 attempts at 4 per worker");
    assert.equal(desiredWorkers({ waiting: 8, active: 4 }, settings), 3);
    assert.equal(desiredWorkers({ waiting: 100, active: 4 }, settings), 3, "never above max");
    assert.equal(desiredWorkers({ waiting: 0, active: 0 }, { ...settings, minWorkers: 0 }), 0, "scale to zero when min is 0");
    assert.equal(desiredWorkers({ waiting: 1, active: 0 }, { ...settings, minWorkers: 0 }), 1);
    assert.equal(desiredWorkers({ waiting: 5, active: 0 }, { ...settings, tasksPerWorker: 1 }), 3);
  });
});

describe("planScaling", () => {
  it("creates the missing pods at once and forgets a pending scale-down", () => {
    const plan = planScaling({ waiting: 12, active: 0 }, [pod("w-a", 1)], settings, { lowSince: 5 }, 10);
    assert.deepEqual(plan, { create: 2, remove: [], desired: 3, memory: { lowSince: null } });
  });

  it("waits scaleDownDelayMs before removing pods, then removes the surplus", () => {
    const pods = [pod("w-a", 1), pod("w-b", 2), pod("w-c", 3)];
    const first = planScaling({ waiting: 0, active: 1 }, pods, settings, { lowSince: null }, 10_000);
    assert.deepEqual(first, { create: 0, remove: [], desired: 1, memory: { lowSince: 10_000 } });
    const early = planScaling({ waiting: 0, active: 1 }, pods, settings, first.memory, 10_999);
    assert.deepEqual(early.remove, [], "not before the delay");
    const late = planScaling({ waiting: 0, active: 1 }, pods, settings, early.memory, 11_000);
    assert.equal(late.remove.length, 2);
    assert.deepEqual(late.memory, { lowSince: null });
  });

  it("a rise in load during the delay cancels the scale-down", () => {
    const pods = [pod("w-a", 1), pod("w-b", 2)];
    const low = planScaling({ waiting: 0, active: 0 }, pods, settings, { lowSince: null }, 0);
    const busyAgain = planScaling({ waiting: 5, active: 0 }, pods, settings, low.memory, 500);
    assert.deepEqual(busyAgain.memory, { lowSince: null });
    const lowAgain = planScaling({ waiting: 0, active: 0 }, pods, settings, busyAgain.memory, 1200);
    assert.deepEqual(lowAgain.remove, [], "the delay starts again");
  });

  it("removes pods that are not workers yet first, then idle workers, newest first, and never a busy worker", () => {
    const pods = [pod("busy-new", 50, true, true), pod("idle-old", 10), pod("idle-new", 40), pod("starting", 5, false)];
    const plan = planScaling({ waiting: 0, active: 1 }, pods, { ...settings, maxWorkers: 4, scaleDownDelayMs: 0 }, { lowSince: null }, 100);
    assert.deepEqual(plan.remove, ["starting", "idle-new", "idle-old"]);
    const onlyBusy = planScaling(
      { waiting: 0, active: 2 },
      [pod("b1", 1, true, true), pod("b2", 2, true, true)],
      { ...settings, scaleDownDelayMs: 0 },
      { lowSince: null },
      100,
    );
    assert.deepEqual(onlyBusy.remove, [], "busy workers stay");
    assert.deepEqual(onlyBusy.memory, { lowSince: 100 }, "and the surplus is looked at again later");
  });

  it("keeps the count when it is right", () => {
    assert.deepEqual(planScaling({ waiting: 2, active: 2 }, [pod("w", 1)], settings, { lowSince: 3 }, 9), {
      create: 0,
      remove: [],
      desired: 1,
      memory: { lowSince: null },
    });
  });
});
