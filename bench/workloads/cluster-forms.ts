/**
 * The two worker-cluster forms side by side, in the same run, each against its stand-in:
 * CloudClusterEnvironment on the ECS stand-in (test/support/ecs: every task a Docker container of the
 * flow's image) and KubernetesClusterEnvironment on the Kubernetes stand-in (test/support/kube, process
 * mode: every pod a process on this machine running this checkout's CLI from source; the broker pod a
 * `redis-server` process). Both start their own broker for the run (the ECS form's with TLS and a
 * password, the Kubernetes form's with a password) and 2 workers at the default concurrency (4 each).
 *
 * - CC2 cluster start: from the `execute()` call to the first worker the platform reports running (the
 *      ECS task's lastStatus RUNNING; the pod's phase Running). On Kubernetes this includes the
 *      scheduler Job's pod starting and loading the flow, which then starts the broker and the workers;
 *      the ECS form's scheduler is the calling process.
 * - CC3 D1's 10,000 no-op mapped tasks (range → noop.map → count) on those 2 workers, in tasks per
 *      second over the mapped part only: from the end of `range` to the start of `count`, both stamped
 *      by the tasks themselves (a log line's timestamp on ECS, whose containers share this machine's
 *      clock; a file on Kubernetes, whose pods are processes here).
 *
 * Value = the ECS form, baseline = the Kubernetes form. Every run of the 10,000-task flow gives both
 * figures, so CC2 and CC3 share one series: one warm-up run of each form, then ROUNDS runs of each,
 * alternating; the figure is the median (the mean of the middle two for an even count).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { z } from "zod";
import { configSchema } from "../../src/config/schema.js";
import type { RunEvent } from "../../src/core/events.js";
import { flow, type AnyFlow } from "../../src/core/flow.js";
import { createLogger } from "../../src/core/logger.js";
import { task } from "../../src/core/task.js";
import { FLOW_RUN_ID_TAG } from "../../src/platforms/aws/names.js";
import { DEFAULT_BROKER_IMAGE } from "../../src/platforms/kubernetes/cluster/broker.js";
import { KubernetesClusterEnvironment } from "../../src/platforms/kubernetes/cluster/index.js";
import { freePort } from "../../test/platforms/aws/cluster/fixtures/redis-files.js";
import { SLUICE_FROM_SOURCE } from "../../test/platforms/kubernetes/fixtures/cluster-image.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../test/support/kube/index.js";
import type { Measurement, Workload } from "../types.js";
import { succeeded, withEcsBench, type EcsBench } from "./ecs-cluster.js";

const N = 10_000;
const ROUNDS = 3;
const ROLE = "sluice.io/cluster-role";
const RUN_LABEL = "sluice.io/flow-run-id";
const RANGE_DONE = "bench-forms range done";
const COUNT_START = "bench-forms count start";
const quiet = createLogger({ level: "silent" });

/** The median; for an even count, the mean of the middle two. */
function middle(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---- the Kubernetes form's flow (module scope: its scheduler and workers load this module by path) ----

/** The stand-in's process mode treats an image as a name only. */
const KUBE_IMAGE = "sluice-bench/cluster-forms:1";
/** The ephemeral broker's port travels in the run id (`run-p<port>-...`), which the scheduler reads from its variables. */
const brokerPort = (): number => Number(/^run-p(\d{4,5})-/.exec(process.env.SLUICE__CONTEXT__FLOW_RUN_ID ?? "")?.[1] ?? 6379);

const stamp = (outDir: string, name: string): void => {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, name), String(Date.now()));
};
const kubeRange = task("range", async ({ n, outDir }: { n: number; outDir: string }) => {
  const xs = Array.from({ length: n }, (_, i) => i);
  stamp(outDir, "range-done");
  return xs;
});
const kubeNoop = task("noop", async (x: number) => x);
const kubeCount = task("count", async ({ xs, outDir }: { xs: number[]; outDir: string }) => {
  stamp(outDir, "count-start");
  return xs.length;
});

/** range → noop.map → count on 2 worker pods, its own broker. */
export const kubeNoopFlow = flow(
  "bench-forms-kube-noop",
  {
    parameters: z.object({ n: z.number().int(), outDir: z.string() }),
    environment: new KubernetesClusterEnvironment({
      metadata: { image: KUBE_IMAGE },
      sluiceCommand: SLUICE_FROM_SOURCE,
      minWorkers: 2,
      maxWorkers: 2,
      scaleIntervalMs: 500,
      workerStartTimeoutMs: 120_000,
      ephemeralBroker: { address: "pod-ip", port: brokerPort(), startTimeoutMs: 60_000 },
    }),
  },
  (p) => kubeCount({ xs: kubeNoop.map(kubeRange({ n: p.n, outDir: p.outDir })), outDir: p.outDir }),
);

// ---- the ECS form's flow (built into an image) ----------------------------------------------------

const ECS_FLOW_SOURCE = (storageOptions: string): string => `
import { z } from "zod";
import { flow, task, CloudClusterEnvironment, DockerStorage } from "sluice";
const range = task("range", async (n: number, ctx) => {
  const xs = Array.from({ length: n }, (_, i) => i);
  ctx.logger.info(${JSON.stringify(RANGE_DONE)});
  return xs;
});
const noop = task("noop", async (x: number) => x);
const count = task("count", async (xs: number[], ctx) => {
  ctx.logger.info(${JSON.stringify(COUNT_START)});
  return xs.length;
});
const environment = new CloudClusterEnvironment({
  workers: 2,
  networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-bench"] } },
  pollIntervalMs: 100,
  onExecute: (parameters, provider) => { provider.brokerPort = parameters.brokerPort; },
});
export const noopMap = flow(
  "bench-forms-ecs-noop",
  { storage: new DockerStorage(${storageOptions}), environment, parameters: z.object({ n: z.number(), brokerPort: z.number().default(6390) }) },
  (p) => count(noop.map(range(p.n))),
);
`;

// ---- one run of each form -------------------------------------------------------------------------

/** One run: ms from the call to the first worker running, and tasks per second over the mapped part. */
interface FormRun {
  startMs: number;
  rate: number;
}

/** Polls `firstWorker` from now on; `stop()` ends that and gives ms from now to the first time it was true (undefined: never). */
function watchFirstWorker(firstWorker: () => boolean): { stop: () => number | undefined } {
  const t0 = Date.now();
  let at: number | undefined;
  const timer = setInterval(() => {
    if (at === undefined && firstWorker()) at = Date.now();
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return at === undefined ? undefined : at - t0;
    },
  };
}

function startOf(ms: number | undefined): number {
  if (ms === undefined) throw new Error("no worker was seen running during the run");
  return ms;
}

const mappedRate = (rangeDone: number, countStart: number): number => {
  if (!(countStart > rangeDone)) throw new Error(`the mapped part has no duration (range done ${rangeDone}, count start ${countStart})`);
  return N / ((countStart - rangeDone) / 1000);
};

async function ecsRun({ flow: ecsFlow, config, standin, tag }: EcsBench, i: number): Promise<FormRun> {
  const flowRunId = `bench-forms-${tag}-${i}`;
  const tagsOf = (t: Record<string, unknown>) => (t.tags as { key: string; value: string }[] | undefined) ?? [];
  const watch = watchFirstWorker(() =>
    standin
      .tasks()
      .some(
        (t) =>
          t.lastStatus === "RUNNING" &&
          tagsOf(t).some((x) => x.key === FLOW_RUN_ID_TAG && x.value === flowRunId) &&
          tagsOf(t).some((x) => x.key === ROLE && x.value === "worker"),
      ),
  );
  const marks = new Map<string, number>();
  const observe = (e: RunEvent): void => {
    if (e.type === "log" && (e.record.message === RANGE_DONE || e.record.message === COUNT_START)) marks.set(e.record.message, Date.parse(e.record.timestamp));
  };
  const cluster = ecsFlow.environment as unknown as { execute: (f: AnyFlow, o: Record<string, unknown>) => Promise<unknown> };
  try {
    const parameters = { n: N, brokerPort: await freePort() };
    succeeded(await cluster.execute(ecsFlow, { flowRunId, config, parameters, observers: [observe], logger: quiet, logLevel: "info" }));
  } finally {
    watch.stop();
  }
  const startMs = startOf(watch.stop());
  const rangeDone = marks.get(RANGE_DONE);
  const countStart = marks.get(COUNT_START);
  if (rangeDone === undefined || countStart === undefined) throw new Error("the ECS run logged no range/count marks");
  return { startMs, rate: mappedRate(rangeDone, countStart) };
}

async function kubeRun(kube: KubeStandin, i: number): Promise<FormRun> {
  const flowRunId = `run-p${await freePort()}-${randomBytes(3).toString("hex")}`;
  const outDir = mkdtempSync(join(tmpdir(), "sluice-bench-forms-"));
  const ofRun = (o: KubeObject): boolean => o.metadata.labels?.[RUN_LABEL] === flowRunId;
  const watch = watchFirstWorker(() => kube.pods().some((p) => ofRun(p) && p.metadata.labels?.[ROLE] === "worker" && p.status?.phase === "Running"));
  try {
    const config = configSchema().parse({ api: { url: "http://127.0.0.1:9" }, kubernetes: { kubeconfig: kube.kubeconfigPath }, logging: { level: "warn" } });
    const launched = await (kubeNoopFlow.environment as KubernetesClusterEnvironment).execute(kubeNoopFlow, {
      flowRunId,
      config,
      parameters: { n: N, outDir },
      logLevel: "silent",
    });
    if (launched.kind !== "launched") throw new Error(`run ${i}: the scheduler Job was not launched (${launched.kind})`);
    const job = await kube.waitFor(() => {
      const found = kube.jobs().find(ofRun);
      return found && (found.status?.succeeded || found.status?.failed) ? found : undefined;
    }, 600_000);
    if (job.status?.succeeded !== 1) {
      const logs = kube
        .pods()
        .filter((p) => ofRun(p) && p.metadata.labels?.[ROLE] === "scheduler")
        .map((p) => kube.logs(p.metadata.name!))
        .join("\n");
      throw new Error(`the Kubernetes form's scheduler Job failed; its log:\n${logs.slice(-4000)}`);
    }
    const read = (name: string): number => Number(readFileSync(join(outDir, name), "utf8"));
    return { startMs: startOf(watch.stop()), rate: mappedRate(read("range-done"), read("count-start")) };
  } finally {
    watch.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

// ---- the series -----------------------------------------------------------------------------------

interface Series {
  ecs: FormRun[];
  kube: FormRun[];
}

async function measureForms(): Promise<Series> {
  const kube = await startKubeStandin({ runner: "process", knownImages: [KUBE_IMAGE, DEFAULT_BROKER_IMAGE] });
  try {
    return await withEcsBench("sluice-bench-cluster-forms", ECS_FLOW_SOURCE, async (ecs) => {
      const series: Series = { ecs: [], kube: [] };
      for (let i = 0; i <= ROUNDS; i++) {
        const e = await ecsRun(ecs, i);
        const k = await kubeRun(kube, i);
        if (i > 0) {
          series.ecs.push(e);
          series.kube.push(k);
        }
      }
      return series;
    });
  } finally {
    await kube.close();
  }
}

/** CC2 and CC3 come from the same runs: the series is measured once for both. */
let shared: Promise<Series> | undefined;
const series = (): Promise<Series> => (shared ??= measureForms());

const list = (runs: readonly FormRun[], pick: (r: FormRun) => number, digits: number): string => runs.map((r) => pick(r).toFixed(digits)).join(", ");
const LOADED = `one warm-up run of each form, then the median of ${ROUNDS} runs each, alternating; on a loaded 2-core machine shared with other jobs, so expect wide spread`;
const STANDINS =
  "ECS: tasks are Docker containers of the flow's image (built Sluice); Kubernetes stand-in (process mode): pods are processes running this checkout's CLI from source through tsx, broker a local redis-server";

async function clusterStart(): Promise<Measurement[]> {
  const { ecs, kube } = await series();
  return [
    {
      metric: "CC2 cluster start: execute() → first worker running, 2 workers (ECS form vs Kubernetes form, stand-ins)",
      unit: "ms",
      value: middle(ecs.map((r) => r.startMs)),
      baseline: middle(kube.map((r) => r.startMs)),
      baselineName: "KubernetesClusterEnvironment on the Kubernetes stand-in, same flow shape, same run",
      higherIsBetter: false,
      notes: `${LOADED}; runs ECS ${list(ecs, (r) => r.startMs, 0)} ms, Kubernetes ${list(kube, (r) => r.startMs, 0)} ms. The Kubernetes figure includes its scheduler pod starting and loading the flow before it starts the broker and workers; the ECS scheduler is the calling process. ${STANDINS}. Neither includes a real cloud's provisioning (Fargate: 30-60 s per task)`,
    },
  ];
}

async function clusterThroughput(): Promise<Measurement[]> {
  const { ecs, kube } = await series();
  return [
    {
      metric: "CC3 D1's 10,000 no-op mapped tasks on a 2-worker cluster (ECS form vs Kubernetes form, stand-ins)",
      unit: "tasks/s",
      value: middle(ecs.map((r) => r.rate)),
      baseline: middle(kube.map((r) => r.rate)),
      baselineName: "KubernetesClusterEnvironment on the Kubernetes stand-in, same flow shape, same run",
      higherIsBetter: true,
      notes: `${LOADED}; runs ECS ${list(ecs, (r) => r.rate, 0)}, Kubernetes ${list(kube, (r) => r.rate, 0)} tasks/s; over the mapped part only (range's end to count's start, stamped by the tasks); 4 tasks at once per worker (the default); ECS broker over TLS with a password, Kubernetes broker with a password, no TLS. ${STANDINS}`,
    },
  ];
}

/** The Kubernetes stand-in's process mode runs the broker pod's `redis-server` from PATH. */
function noRedisServer(): string | null {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return dirs.some((dir) => existsSync(join(dir, "redis-server")))
    ? null
    : "the Kubernetes form's broker pod runs redis-server from PATH, which has none (apt-get install redis-server)";
}

const workloads: Workload[] = [
  {
    id: "CC2",
    title: "Cluster start to first worker running: CloudClusterEnvironment (ECS) vs KubernetesClusterEnvironment",
    needs: ["docker"],
    unavailable: noRedisServer,
    run: clusterStart,
  },
  {
    id: "CC3",
    title: "10,000 no-op tasks on 2 workers: CloudClusterEnvironment (ECS) vs KubernetesClusterEnvironment",
    needs: ["docker"],
    unavailable: noRedisServer,
    run: clusterThroughput,
  },
];

export default workloads;
