import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { nextPollDelay } from "../../src/agents/backoff.js";

const pacing = { minPollIntervalMs: 250, maxPollIntervalMs: 10_000 };

describe("nextPollDelay", () => {
  it("polls again soon after a poll that found work", () => {
    assert.equal(nextPollDelay(8000, true, pacing), 250);
    assert.equal(nextPollDelay(0, true, { minPollIntervalMs: 0, maxPollIntervalMs: 100 }), 0);
  });

  it("doubles while idle, up to the maximum, and stays there", () => {
    const delays: number[] = [];
    let delay = 0;
    for (let i = 0; i < 10; i++) delays.push((delay = nextPollDelay(delay, false, pacing)));
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
  });

  it("never goes below 100 ms while idle, even with a zero minimum", () => {
    assert.equal(nextPollDelay(0, false, { minPollIntervalMs: 0, maxPollIntervalMs: 1000 }), 100);
  });

  it("treats a maximum below the minimum as the minimum", () => {
    assert.equal(nextPollDelay(5000, false, { minPollIntervalMs: 300, maxPollIntervalMs: 10 }), 300);
  });
});
