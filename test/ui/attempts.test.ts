/** The timeline's spans of a retried task run, from its state history (no browser needed). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attemptSpans, type AttemptState } from "../../src/ui/run/attempts.js";

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const brief = (spans: ReturnType<typeof attemptSpans>) =>
  spans.map((s) => `${s.kind}#${s.attempt} ${s.from - T0}-${s.to - T0} ${s.outcome}${s.open ? " open" : ""}`);

describe("attemptSpans", () => {
  it("draws each attempt as its own run span, with the wait before it", () => {
    const states: AttemptState[] = [
      { name: "Pending", timestamp: at(0) },
      { name: "Running", attempt: 1, timestamp: at(100) },
      { name: "Retrying", attempt: 1, timestamp: at(400), message: "Retrying in 200 ms" },
      { name: "Running", attempt: 2, timestamp: at(600) },
      { name: "Success", timestamp: at(900) },
    ];
    // Given out of order: the history is sorted by time.
    assert.deepEqual(brief(attemptSpans(T0, [...states].reverse(), T0 + 5000)), [
      "wait#1 0-100 Pending",
      "run#1 100-400 Retrying",
      "wait#2 400-600 Pending",
      "run#2 600-900 Success",
    ]);
  });

  it("leaves the current span open until now: a retry being waited for, or an attempt running", () => {
    const waiting: AttemptState[] = [
      { name: "Running", timestamp: at(50) },
      { name: "Retrying", timestamp: at(80) },
    ];
    assert.deepEqual(brief(attemptSpans(T0, waiting, T0 + 1000)), ["wait#1 0-50 Pending", "run#1 50-80 Retrying", "wait#2 80-1000 Pending open"]);
    const running = [...waiting, { name: "Running", timestamp: at(1100) }];
    assert.deepEqual(brief(attemptSpans(T0, running, T0 + 1500)).slice(2), ["wait#2 80-1100 Pending", "run#2 1100-1500 Running open"]);
  });

  it("ends a wait with the state that ended it when no attempt ran (cancelled while waiting for a retry)", () => {
    const states: AttemptState[] = [
      { name: "Running", attempt: 1, timestamp: at(10) },
      { name: "Retrying", attempt: 1, timestamp: at(20) },
      { name: "Cancelled", timestamp: at(30) },
    ];
    assert.deepEqual(brief(attemptSpans(T0, states, T0 + 999)), ["wait#1 0-10 Pending", "run#1 10-20 Retrying", "wait#2 20-30 Cancelled"]);
  });
});
