/**
 * Flows of the distributed executor's tests, in their own module so `sluice worker` processes load them
 * by path. Tasks report the worker process they ran in (process.pid), so tests can see where work went.
 */
import { appendFileSync } from "node:fs";
import { z } from "zod";
import { flow } from "../../src/core/flow.js";
import { task } from "../../src/core/task.js";
import type { TaskContext } from "../../src/core/task-context.js";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

const range = task("range", async (n: number) => Array.from({ length: n }, (_, i) => i));
const inc = task("inc", async (x: number) => ({ value: x + 1, pid: process.pid }));
const collect = task("collect", async (rows: { value: number; pid: number }[]) => ({
  count: rows.length,
  sum: rows.reduce((a, r) => a + r.value, 0),
  pids: [...new Set(rows.map((r) => r.pid))].sort(),
}));

/** range → inc.map → collect: n + 2 task runs that execute (and the mapped parent). */
export const manyFlow = flow("dist-many", { parameters: z.object({ n: z.number().int().min(0) }) }, (p) => collect(inc.map(range(p.n))));

const big = task("big", async (i: number, ctx: TaskContext) => ({ i, pid: process.pid, text: `${i}:`.padEnd(ctx.mapIndex === null ? 10 : 2000, "x") }));
const lengths = task("lengths", async (rows: { i: number; text: string }[]) => rows.map((r) => r.text.length));

/** Each mapped child returns ~2 KB; their list is the reduce's input (~2 KB × n). */
export const bigFlow = flow("dist-big", { parameters: z.object({ n: z.number().int().min(1) }) }, (p) => {
  const rows = big.map(range(p.n));
  return { rows, lengths: lengths(rows) };
});

const hold = task("hold", async (ms: number, ctx: TaskContext) => {
  ctx.logger.info("holding", { pid: process.pid });
  await sleep(ms, ctx.signal);
  return process.pid;
});
const after = task("after-hold", async (pid: number) => ({ finishedBy: pid, afterPid: process.pid }));

/** hold (logs its pid, then sleeps `ms`) → after-hold. */
export const holdFlow = flow("dist-hold", { parameters: z.object({ ms: z.number() }) }, (p) => after(hold(p.ms)));

const first = task("first", async (ms: number, ctx: TaskContext) => {
  await sleep(ms, ctx.signal);
  return [process.pid];
});
const next = task("next", async (trail: number[], ctx: TaskContext) => {
  await sleep(10, ctx.signal);
  return [...trail, process.pid];
});

/** first.map → next.map → next.map: each element's trail of worker pids. */
export const trailsFlow = flow("dist-trails", { parameters: z.object({ waits: z.array(z.number()) }) }, (p) => next.map(next.map(first.map(p.waits))));

/** first → next: the pid of each. */
export const pairFlow = flow("dist-pair", () => next(first(10)));

const refuses = task("refuses", async () => "never runs", { retries: 2, retryDelayMs: 10 });
/** A flow whose module workers cannot load (its locator names a file that does not exist). */
export const unloadableFlow = flow("dist-unloadable", { module: "/nonexistent/sluice-missing-flow.ts" }, () => refuses());

const takesClient = task("takes-client", async (input: { client: unknown }) => typeof input.client);
/** A task whose input holds a function: it cannot be sent to a worker. */
export const functionInputFlow = flow("dist-function-input", () => takesClient({ client: () => 42 }));

const whereAmI = task("where", async () => process.pid);
/** One task reporting its pid. */
export const whereFlow = flow("dist-where", () => whereAmI());

const stamp = task("stamp", async (label: string) => ({ label, pid: process.pid, at: Date.now() }), { cache: { ttlMs: 60_000 } });
/** One cached task: a second run with the same label takes the first run's result. */
export const cachedFlow = flow("dist-cached", { parameters: z.object({ label: z.string() }) }, (p) => stamp(p.label));

/** When set, every start of a `work` attempt appends `<flow run>/<map index>` to this file (to count runs that happened twice). */
const TRACE = process.env.SLUICE_TEST_TRACE_FILE;

const work = task("work", async (input: { i: number; ms: number }, ctx: TaskContext) => {
  if (TRACE) appendFileSync(TRACE, `${ctx.flowRunId}/${ctx.mapIndex}\n`);
  await sleep(input.ms, ctx.signal);
  return { i: input.i, pid: process.pid };
});
const plan = task("plan", async (p: { n: number; ms: number }) => Array.from({ length: p.n }, (_, i) => ({ i, ms: p.ms })));
const tally = task("tally", async (rows: { i: number; pid: number }[]) => ({
  count: rows.length,
  sum: rows.reduce((a, r) => a + r.i, 0),
  pids: [...new Set(rows.map((r) => r.pid))].sort(),
}));

/** plan → work.map (each child sleeps `ms` and returns its index and pid) → tally: n + 2 task runs. */
export const sleepyFlow = flow("dist-sleepy", { parameters: z.object({ n: z.number().int().min(0), ms: z.number().min(0) }) }, (p) =>
  tally(work.map(plan({ n: p.n, ms: p.ms }))),
);
