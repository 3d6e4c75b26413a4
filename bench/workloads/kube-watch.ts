/**
 * K1: what the Kubernetes agent's job management asks of the API server with many runs in flight.
 *
 * The stand-in holds N suspended Jobs labelled as Sluice's (no pods run for them), and a Jobs' status
 * changes now and then, as on a busy cluster. Sluice: the JobManager, which lists once and then follows
 * watches, turned as often as an agent polls. Baseline: what it did before, at every turn a paged list of the
 * namespace's Sluice pods and one of its Sluice Jobs (100 a page). Both are counted by the stand-in's
 * request counter, per loop turn once started; the first turn's cost (the informers' lists) is in the notes.
 */
import { startKubeStandin } from "../../test/support/kube/index.js";
import { createClient } from "../../src/client/index.js";
import { createLogger } from "../../src/core/logger.js";
import { loadConfig } from "../../src/config/index.js";
import type { DeployContext } from "../../src/agents/deployer.js";
import { DEFAULT_TERMINATION_REPORT, JobManager } from "../../src/platforms/kubernetes/kubernetes-agent.js";
import { KubernetesApi } from "../../src/platforms/kubernetes/kubernetes-api.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../src/platforms/kubernetes/names.js";
import type { Measurement, Workload } from "../types.js";

const NS = "default";
const TURNS = 30;
/** The agent's pace when idle is one turn per 10 s; the bench turns faster: only the requests per turn count. */
const TURN_EVERY_MS = 100;

/** A context for the manager: the Jobs here belong to no run on any server, so it never calls one. */
function benchContext(): DeployContext {
  const url = "http://127.0.0.1:9";
  const config = loadConfig({ file: false, env: { SLUICE__API__URL: url } });
  return {
    client: createClient({ url }),
    config,
    agent: { id: "bench", name: "bench", kind: "kubernetes", labels: [] },
    logger: createLogger({ level: "silent" }),
    runEnv: () => ({}),
    failRun: async () => undefined,
    logRun: async () => undefined,
  };
}

async function requestsPerTurn(runs: number): Promise<Measurement[]> {
  const standin = await startKubeStandin({ runner: "process" });
  try {
    for (let i = 0; i < runs; i++) {
      const labels = { [IDENTIFIER_LABEL]: `bench-${i}`, [FLOW_RUN_ID_LABEL]: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` };
      standin.api.create("jobs", NS, {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: `bench-${i}`, labels },
        spec: { suspend: true, template: { metadata: { labels }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "bench:1" }] } } },
      });
    }
    const api = await KubernetesApi.connect({ kubeconfig: standin.kubeconfigPath });
    const ctx = benchContext();
    const counted = (): number =>
      standin.requestCount("list", "jobs") +
      standin.requestCount("list", "pods") +
      standin.requestCount("watch", "jobs") +
      standin.requestCount("watch", "pods");
    /** Some Jobs change between turns (an annotation), as statuses do on a busy cluster. */
    const churn = (turn: number): void => {
      for (let i = turn; i < runs; i += 50) standin.api.patch("jobs", NS, `bench-${i}`, "merge", { metadata: { annotations: { turn: String(turn) } } });
    };
    const pace = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, TURN_EVERY_MS));

    // Baseline: the former turn, two paged lists.
    let before = counted();
    for (let turn = 0; turn < TURNS; turn++) {
      churn(turn);
      await api.listPods(NS, FLOW_RUN_ID_LABEL);
      await api.listJobs(NS, IDENTIFIER_LABEL);
      await pace();
    }
    const polled = (counted() - before) / TURNS;

    // Sluice: the manager on its watches.
    const manager = new JobManager(api, { namespace: NS, deleteFinishedJobs: true, terminationReport: DEFAULT_TERMINATION_REPORT });
    before = counted();
    await manager.turn(ctx);
    const firstTurn = counted() - before;
    before = counted();
    for (let turn = 0; turn < TURNS; turn++) {
      churn(turn);
      await manager.turn(ctx);
      await pace();
    }
    const watched = (counted() - before) / TURNS;
    const seen = manager.runs.length;
    await manager.close({ deleteJobs: false });
    return [
      {
        metric: `K1 API requests for Jobs and pods per agent turn, ${runs} runs in flight`,
        unit: "req/turn",
        value: watched,
        baseline: polled,
        baselineName: "the former turn: a paged list of the Sluice pods and one of the Sluice Jobs (100 a page)",
        higherIsBetter: false,
        notes:
          `the manager's first turn made ${firstTurn} requests (its two informers' lists and watches) and saw ${seen} runs; ` +
          `after it, watches renew every 5 to 10 minutes: at the agent's idle pace (a turn every 10 s) the baseline makes ${Math.round(polled * 6)} requests a minute`,
      },
    ];
  } finally {
    await standin.close();
  }
}

const workloads: Workload[] = [
  { id: "K1", title: "Kubernetes agent: API requests with 1,000 runs in flight, watch vs poll", run: () => requestsPerTurn(1_000) },
];

export default workloads;
