/**
 * The flows the executor conformance suite runs. They live in their own module, exported by name, so
 * out-of-process executors (worker threads, distributed workers) can load them by FlowLocator. Nothing
 * here keeps state in module scope: tasks decide from their input and `ctx.attempt`, which hold in every
 * thread and process. Results are JSON.
 */
import { z } from "zod";
import { flow } from "../core/flow.js";
import { unmapped } from "../core/ref.js";
import { fail, retry, skip } from "../core/signals.js";
import { task } from "../core/task.js";
import type { TaskContext } from "../core/task-context.js";

/** Resolves after `ms`, or rejects when `signal` aborts. `keepAlive: false`: the timer does not hold the process open. */
function sleep(ms: number, signal: AbortSignal, keepAlive = true): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (!keepAlive) timer.unref();
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const addOne = task("add-one", async (n: number) => n + 1);

/** start → add-one → add-one-2 → add-one-3: returns start + 3. */
export const chainFlow = flow("conformance-chain", { parameters: z.object({ start: z.number().default(0) }) }, (p) => addOne(addOne(addOne(p.start))));

const square = task("square", async (x: number) => x * x);
const sum = task("sum", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const count = task("count", async (xs: number[]) => xs.length);
const listOf = task("list-of", async (n: number) => Array.from({ length: n }, (_, i) => i));
/** Child i sleeps (count - i) × 15 ms: children finish in reverse order. */
const slowIdentity = task("slow-identity", async ({ x, n }: { x: number; n: number }, ctx: TaskContext) => {
  await sleep((n - (ctx.mapIndex ?? 0)) * 15, ctx.signal);
  return x;
});

/** Squares of xs and their sum; xs again through children finishing in reverse order; a map over []. */
export const mapReduceFlow = flow("conformance-map-reduce", { parameters: z.object({ xs: z.array(z.number()).default([1, 2, 3, 4]) }) }, (p) => {
  const squares = square.map(p.xs);
  return {
    squares,
    total: sum(squares),
    ordered: slowIdentity.map({ x: p.xs, n: unmapped(count(p.xs)) }),
    emptySum: sum(square.map(listOf(0))),
  };
});

const flaky = task(
  "flaky",
  async (failTimes: number, ctx: TaskContext) => {
    if (ctx.attempt <= failTimes) throw new Error(`attempt ${ctx.attempt} fails on purpose`);
    return ctx.attempt;
  },
  { retries: 3, retryDelayMs: 10 },
);
const asksAgain = task("asks-again", async (_: undefined, ctx: TaskContext) => {
  if (ctx.attempt === 1) throw retry("not ready yet", { delayMs: 5 });
  return ctx.attempt;
});

/** flaky fails its first `failTimes` attempts (3 retries, 10 ms apart); asks-again forces one retry by signal. */
export const retryFlow = flow("conformance-retry", { parameters: z.object({ failTimes: z.number().default(2) }) }, (p) => ({
  flaky: flaky(p.failTimes),
  asksAgain: asksAgain(),
}));

/** A task sleeping 10 s with a 100 ms timeout. */
export const timeoutFlow = flow("conformance-timeout", () =>
  task("slow", async (_: undefined, ctx: TaskContext) => sleep(10_000, ctx.signal), { timeoutMs: 100 })(),
);

const boom = task("boom", async () => {
  throw new Error("boom");
});
const after = task("after", async (_: unknown) => "ran");
const handler = task("handler", async (_: unknown) => "handled", { trigger: "anyFailed" });
const cleanup = task("cleanup", async (_: unknown) => "cleaned", { trigger: "allFinished" });
const quits = task("quits", async () => {
  throw skip("nothing to do");
});
const refuses = task(
  "refuses",
  async () => {
    throw fail("refused on purpose");
  },
  { retries: 3 },
);

/**
 * boom fails → after (allSuccessful) TriggerFailed, handler (anyFailed) and cleanup (allFinished) run;
 * quits skips → after-skip Skipped; refuses fails by signal without retrying.
 */
export const triggerFlow = flow("conformance-triggers", () => {
  const b = boom();
  const q = quits();
  return { after: after(b), handler: handler(b), cleanup: cleanup(b), afterSkip: after(q), refused: refuses() };
});

/** waits: sleeps until cancelled; stubborn: ignores its signal for 10 s; never: downstream of waits. */
export const cancelFlow = flow("conformance-cancel", () => {
  const waits = task("waits", async (_: undefined, ctx: TaskContext) => sleep(10_000, ctx.signal))();
  // ignores cancellation; its timer must not keep the test process alive once the run has moved on
  const stubborn = task("stubborn", async () => sleep(10_000, new AbortController().signal, false))();
  return { never: after(waits), stubborn };
});

/** A task logging at info and debug with fields. */
export const logFlow = flow("conformance-logs", () =>
  task("talker", async (_: undefined, ctx: TaskContext) => {
    ctx.logger.info("hello from a task", { answer: 42 });
    ctx.logger.debug("quiet detail");
    return "said";
  })(),
);
