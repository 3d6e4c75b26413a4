/**
 * The core workloads of issue 2. Each runs Sluice and a raw baseline (plain async calls in the same
 * topology) in the same process, one after the other, and reports both:
 *
 * - W1 a chain of 1,000 no-op tasks (local executor)
 * - W2 one source, 5,000 mapped no-op tasks, one reduce (local and concurrent executors)
 * - W3 200 tasks sleeping 50 ms each at concurrency 8 (ideal 1.25 s)
 * - W4 10,000 no-op tasks on the workers executor with 2 threads (baseline: piscina used directly)
 * - W5 a whole `sluice run` process of a 3-task flow (cold start; baseline: `node -e` of 3 plain calls)
 * - COLD W1's chain and W2's map each as a whole `sluice run` process: the per-task cost a user sees
 * - RSS peak resident memory of a 100,000-task mapped flow, in a child process
 * - SCALE the same with 1,000,000 tasks: peak RSS and wall time
 *
 * Each time is the fastest of several runs after a warm-up (other processes on a shared machine only ever add
 * time), with the median beside it in the notes; a flow's graph is built once, outside the timing.
 * Run with `--rss-child sluice|baseline <tasks>` (by the RSS and SCALE workloads), this file is the child.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { ConcurrentExecutor, createLogger, flow, LocalExecutor, task, type Executor } from "sluice";
import { WorkersExecutor } from "../../src/executors/workers/index.js";
import type { Measurement, Workload } from "../types.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Run options that keep the runner's own log lines out of the timing and the output. */
const quiet = { logger: createLogger({ level: "silent" }), logLevel: "silent" as const };

// ---- flows (module scope, so worker threads can load them by name) --------------------------------

const noop = task("noop", async (x: number) => x);
const source = task("source", async (n: number) => Array.from({ length: n }, (_, i) => i));
const inc = task("inc", async (x: number) => x + 1);
const total = task("total", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));
const nap = task("nap", async (ms: number) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)));
const naps = task("naps", async (n: number) => Array.from({ length: n }, () => 50));

export const chain1000 = flow("bench-chain-1000", () => {
  let ref = noop(0);
  for (let i = 1; i < 1000; i++) ref = noop(ref);
  return ref;
});

/** source → inc.map → total: n + 2 task runs. */
export const mapReduce = flow("bench-map-reduce", { parameters: z.object({ n: z.number() }) }, (p) => total(inc.map(source(p.n))));

export const sleepers = flow("bench-sleepers", () => nap.map(naps(200)));

// ---- the baselines: the same topology as plain async calls -------------------------------------------

const plainNoop = async (x: number): Promise<number> => x;
const plainSource = async (n: number): Promise<number[]> => Array.from({ length: n }, (_, i) => i);
const plainInc = async (x: number): Promise<number> => x + 1;
const plainTotal = async (xs: number[]): Promise<number> => xs.reduce((a, b) => a + b, 0);

async function plainChain(n: number): Promise<number> {
  let x = 0;
  for (let i = 0; i < n; i++) x = await plainNoop(x);
  return x;
}

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the results in order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

async function plainMapReduce(n: number, limit: number): Promise<number> {
  return plainTotal(await pool(await plainSource(n), limit, plainInc));
}

// ---- measuring --------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall times of repeated runs, in ms. */
interface Timing {
  min: number;
  median: number;
  runs: number;
}

/** Times `runs` calls after `warmups` untimed ones. */
async function timeIt(fn: () => Promise<unknown>, runs: number, warmups = 1): Promise<Timing> {
  for (let i = 0; i < warmups; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { min: Math.min(...times), median: median(times), runs };
}

const medians = (s: Timing, b: Timing): string => `fastest of ${s.runs} runs; medians: Sluice ${s.median.toFixed(1)} ms, baseline ${b.median.toFixed(1)} ms`;

async function runOk(run: () => Promise<{ state: { name: string; message?: string } }>): Promise<void> {
  const result = await run();
  if (result.state.name !== "Success") throw new Error(`benchmark flow ended ${result.state.name}: ${result.state.message ?? ""}`);
}

const BASELINE = "plain async calls, same topology, same process";

/** A wall-time row and a per-task overhead row. */
function timeRows(id: string, what: string, s: Timing, b: Timing, tasks: number, overheadTarget?: string, baselineName = BASELINE): Measurement[] {
  return [
    { metric: `${id} ${what}: wall time`, unit: "ms", value: s.min, baseline: b.min, baselineName, higherIsBetter: false, notes: medians(s, b) },
    {
      metric: `${id} ${what}: overhead per task`,
      unit: "µs",
      value: ((s.min - b.min) / tasks) * 1000,
      baseline: null,
      baselineName,
      higherIsBetter: false,
      ...(overheadTarget ? { target: overheadTarget } : {}),
      notes: `(Sluice − baseline) / ${tasks.toLocaleString("en")} task runs; with medians: ${(((s.median - b.median) / tasks) * 1000).toFixed(1)} µs`,
    },
  ];
}

/** The environment of a timed `sluice run` child: no development hooks. */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SLUICE_DEV;
  delete env.NODE_OPTIONS;
  return env;
}

function execTime(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(file, args, { cwd: ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(performance.now() - t0);
    });
  });
}

function childJson(args: readonly string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), ...args],
      { cwd: ROOT, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`child ${args.join(" ")} failed: ${error.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number>);
        } catch (e) {
          reject(new Error(`child ${args.join(" ")} printed no JSON: ${String(e)}\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

// ---- workloads ----------------------------------------------------------------------------------------

const W1: Workload = {
  id: "W1",
  title: "chain of 1,000 no-op tasks (local)",
  async run() {
    const local = new LocalExecutor();
    const s = await timeIt(() => runOk(() => chain1000.run({ ...quiet, executor: local })), 15, 3);
    const b = await timeIt(() => plainChain(1000), 15, 3);
    return timeRows("W1", "chain 1,000 (local)", s, b, 1000, "≤ 20 µs");
  },
};

const W2: Workload = {
  id: "W2",
  title: "source → 5,000 mapped no-op tasks → reduce (local, concurrent)",
  async run() {
    const out: Measurement[] = [];
    const executors: [string, Executor, number][] = [
      ["local", new LocalExecutor(), 1],
      ["concurrent", new ConcurrentExecutor(), new ConcurrentExecutor().maxConcurrency],
    ];
    for (const [name, executor, limit] of executors) {
      const s = await timeIt(() => runOk(() => mapReduce.run({ ...quiet, executor, parameters: { n: 5000 } })), 11, 2);
      const b = await timeIt(() => plainMapReduce(5000, limit), 11, 2);
      out.push(...timeRows("W2", `map 5,000 (${name})`, s, b, 5002, name === "local" ? "≤ 20 µs" : undefined, `${BASELINE}, at most ${limit} in flight`));
    }
    return out;
  },
};

const W3: Workload = {
  id: "W3",
  title: "200 tasks sleeping 50 ms at concurrency 8",
  async run() {
    const executor = new ConcurrentExecutor({ maxConcurrency: 8 });
    const s = await timeIt(() => runOk(() => sleepers.run({ ...quiet, executor })), 3, 0);
    const b = await timeIt(
      () =>
        pool(
          Array.from({ length: 200 }, () => 50),
          8,
          (ms) => new Promise((r) => setTimeout(r, ms)),
        ),
      3,
      0,
    );
    return [
      {
        metric: "W3 200 × 50 ms sleeps, concurrency 8: wall time",
        unit: "ms",
        value: s.min,
        baseline: b.min,
        baselineName: `${BASELINE}, 8 in flight`,
        higherIsBetter: false,
        target: "≤ 1,312 ms (ideal 1,250 + 5%)",
        notes: `${(((s.min - 1250) / 1250) * 100).toFixed(1)}% above the ideal 1,250 ms (baseline: ${(((b.min - 1250) / 1250) * 100).toFixed(1)}%); ${medians(s, b)}`,
      },
    ];
  },
};

const W4: Workload = {
  id: "W4",
  title: "10,000 no-op tasks on the workers executor (2 threads)",
  async run() {
    const run = (keepAliveMs: number) => () =>
      runOk(() => mapReduce.run({ ...quiet, executor: new WorkersExecutor({ threads: 2, keepAliveMs }), parameters: { n: 10_000 } }));
    // Cold: every run starts its threads (each registers tsx and imports the flow module), as a `sluice run` process does.
    const cold = await timeIt(run(0), 2, 1);
    // Warm: runs reuse the pool the warm-up run left (keepAliveMs), as repeated runs in one process do.
    const warm = await timeIt(run(2000), 2, 1);
    const dir = await mkdtemp(join(tmpdir(), "sluice-bench-"));
    try {
      const file = join(dir, "noop-worker.mjs");
      await writeFile(file, "export default (x) => x + 1;\n");
      const { Piscina } = await import("piscina");
      const calls = async (p: InstanceType<typeof Piscina>): Promise<void> => {
        const xs = await plainSource(10_000);
        await plainTotal(await Promise.all(xs.map((x) => p.run(x) as Promise<number>)));
      };
      const coldBase = await timeIt(
        async () => {
          const p = new Piscina({ filename: file, minThreads: 2, maxThreads: 2 });
          await calls(p);
          await p.destroy();
        },
        2,
        1,
      );
      const shared = new Piscina({ filename: file, minThreads: 2, maxThreads: 2 });
      const warmBase = await timeIt(() => calls(shared), 2, 1);
      await shared.destroy();
      return [
        ...timeRows(
          "W4",
          "map 10,000 (workers, 2 threads, cold pool)",
          cold,
          coldBase,
          10_002,
          undefined,
          "piscina called directly, 2 threads, a new pool per run",
        ),
        ...timeRows(
          "W4",
          "map 10,000 (workers, 2 threads, warm pool)",
          warm,
          warmBase,
          10_002,
          undefined,
          "piscina called directly, 2 threads, one pool for all runs",
        ),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const W5: Workload = {
  id: "W5",
  title: "a whole `sluice run` process of a 3-task flow (cold start)",
  async run() {
    const bin = join(ROOT, "bin/sluice.js");
    const built = existsSync(join(ROOT, "dist/cli/main.js"));
    const env = plainEnv();
    const script = "const f=async(x)=>x;(async()=>{const a=await f([1,2,3]);const b=await f(a.map(x=>x*10));await f(b.reduce((x,y)=>x+y,0))})()";
    const b = await timeIt(() => execTime(process.execPath, ["-e", script], env), 5, 1);
    const row = async (what: string, notes: string, file: () => Promise<string>): Promise<Measurement> => {
      const s = await timeIt(async () => execTime(process.execPath, [bin, "run", await file()], env), 5, 1);
      return {
        metric: `W5 \`sluice run\` of a 3-task flow (${what}): process wall time`,
        unit: "ms",
        value: s.min,
        baseline: b.min,
        baselineName: "`node -e` of the same 3 calls as plain async functions",
        higherIsBetter: false,
        target: "< 300 ms",
        notes: `${built ? "built CLI (dist/)" : "NO dist/: the CLI ran from source through tsx (run `npm run build`)"}; ${notes}; ${medians(s, b)}`,
      };
    };
    const flows = join(ROOT, "bench/flows");
    // A new copy of the .ts flow for every run, under a new path: its compilation is never cached yet.
    await mkdir(join(ROOT, ".sluice-test"), { recursive: true });
    const fresh = await mkdtemp(join(ROOT, ".sluice-test", "w5-"));
    let copies = 0;
    const freshCopy = async (): Promise<string> => {
      const file = join(fresh, `three-tasks-${copies++}.ts`);
      await writeFile(file, await readFile(join(flows, "three-tasks.ts"), "utf8"));
      return file;
    };
    try {
      return [
        await row(
          ".ts flow",
          "the flow file is TypeScript, its esbuild compilation cached (every run but the first); for context, a whole Prefect 1 process for a 3-task flow took 0.87 s on this machine (from the issue, not measured here)",
          async () => join(flows, "three-tasks.ts"),
        ),
        await row(".ts flow, first run", "a new copy of the .ts flow each run, so each run compiles it with esbuild (cache miss)", freshCopy),
        await row(".mjs flow", "the same flow as plain JavaScript: nothing to compile", async () => join(flows, "three-tasks.mjs")),
      ];
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  },
};

const W5_FLOW = join(ROOT, "bench/flows/three-tasks.mjs");
const COLD_FLOWS = join(ROOT, "bench/flows/cold-tasks.mjs");

const COLD: Workload = {
  id: "COLD",
  title: "W1's chain and W2's map as whole `sluice run` processes (cold JIT, default logger)",
  async run() {
    const bin = join(ROOT, "bin/sluice.js");
    const built = existsSync(join(ROOT, "dist/cli/main.js"));
    const env = plainEnv();
    const sluice = (flowFile: string, name?: string) => () => execTime(process.execPath, [bin, "run", flowFile, ...(name ? ["--flow", name] : [])], env);
    const node = (script: string) => () => execTime(process.execPath, ["-e", script], env);
    // The per-task figure subtracts a process of the 3-task flow (W5's), so start-up is not counted.
    const three = await timeIt(sluice(W5_FLOW), 5, 1);
    const nodeThree = await timeIt(node("const f=async(x)=>x;(async()=>{for(let i=0;i<3;i++)await f(i)})()"), 5, 1);
    const rows: Measurement[] = [];
    for (const [id, what, name, tasks, plain] of [
      ["W1", "chain of 1,000", "cold-chain-1000", 1000, "const f=async(x)=>x;(async()=>{let x=0;for(let i=0;i<1000;i++)x=await f(x)})()"],
      [
        "W2",
        "map of 5,000",
        "cold-map-5000",
        5002,
        "const f=async(x)=>x+1;(async()=>{const xs=Array.from({length:5000},(_,i)=>i);const ys=[];for(const x of xs)ys.push(await f(x));ys.reduce((a,b)=>a+b,0)})()",
      ],
    ] as const) {
      const s = await timeIt(sluice(COLD_FLOWS, name), 5, 1);
      const b = await timeIt(node(plain), 5, 1);
      const perTask = ((s.min - three.min) / (tasks - 3)) * 1000;
      const basePerTask = ((b.min - nodeThree.min) / (tasks - 3)) * 1000;
      rows.push({
        metric: `${id} ${what} as a whole \`sluice run\` process: cost per task`,
        unit: "µs",
        value: perTask,
        baseline: basePerTask,
        baselineName: "the same calls in a `node -e` process, per call",
        higherIsBetter: false,
        target: "< 10 µs",
        notes:
          `${built ? "built CLI (dist/)" : "NO dist/: the CLI ran from source through tsx (run `npm run build`)"}; ` +
          `(process − the 3-task flow's process ${three.min.toFixed(0)} ms) / ${tasks - 3} tasks; process ${s.min.toFixed(0)} ms; ${medians(s, b)}; compare with ${id}'s warm overhead per task`,
      });
    }
    return rows;
  },
};

/** Peak RSS and wall time of `tasks` mapped no-op tasks on the local executor, against the same calls, each in a child. */
async function rssRows(id: string, tasks: number, target: string): Promise<Measurement[]> {
  const s = await childJson(["--rss-child", "sluice", String(tasks)]);
  const b = await childJson(["--rss-child", "baseline", String(tasks)]);
  const count = tasks.toLocaleString("en");
  return [
    {
      metric: `${id} ${count} mapped tasks (local): peak RSS`,
      unit: "MB",
      value: s.maxRssMB!,
      baseline: b.maxRssMB!,
      baselineName: `plain async calls over the same ${count}-element list, in a child process`,
      higherIsBetter: false,
      target,
      notes: `${(((s.maxRssMB! - b.maxRssMB!) * 1024 * 1024) / tasks).toFixed(0)} bytes per task over the baseline`,
    },
    {
      metric: `${id} ${count} mapped tasks (local): wall time`,
      unit: "ms",
      value: s.ms!,
      baseline: b.ms!,
      baselineName: `the same plain calls`,
      higherIsBetter: false,
      notes: `one run each, in a fresh child process (cold JIT); ${(((s.ms! - b.ms!) / tasks) * 1000).toFixed(1)} µs per task over the baseline`,
    },
  ];
}

const RSS: Workload = {
  id: "RSS",
  title: "peak RSS of a 100,000-task mapped flow (child process)",
  run: () => rssRows("RSS", 100_000, "< 200 MB"),
};

const SCALE: Workload = {
  id: "SCALE",
  title: "peak RSS and time of a 1,000,000-task mapped flow (child process)",
  run: () => rssRows("SCALE", 1_000_000, "< 1 GB"),
};

export default [W1, W2, W3, W4, W5, COLD, RSS, SCALE] satisfies Workload[];

// ---- child mode (RSS) -----------------------------------------------------------------------------------

async function rssChild(kind: string, tasks: number): Promise<void> {
  const t0 = performance.now();
  if (kind === "sluice") await runOk(() => mapReduce.run({ ...quiet, executor: new LocalExecutor(), parameters: { n: tasks } }));
  else await plainMapReduce(tasks, 1);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024, ms })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === "--rss-child") {
  await rssChild(process.argv[3] ?? "sluice", Number(process.argv[4] ?? 100_000));
}
