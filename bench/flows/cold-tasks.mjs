// The cold W1/W2 flows (bench/workloads/core.ts, COLD): W1's chain of 1,000 no-op tasks and W2's map of
// 5,000, as plain JavaScript, each run by a whole `sluice run` process.
import { flow, task } from "sluice";
const noop = task("noop", async (x) => x);
const source = task("source", async (n) => Array.from({ length: n }, (_, i) => i));
const inc = task("inc", async (x) => x + 1);
const total = task("total", async (xs) => xs.reduce((a, b) => a + b, 0));
export const coldChain = flow("cold-chain-1000", () => {
  let ref = noop(0);
  for (let i = 1; i < 1000; i++) ref = noop(ref);
  return ref;
});
export const coldMap = flow("cold-map-5000", () => total(inc.map(source(5000))));
