/**
 * The Kubernetes agent's JobManager against the stand-in (process mode) and a test server, one loop turn
 * at a time. The test plays the run's process: its pod runs a process that prints each signal it gets,
 * and the test reports the run's states through the API as stage B would (or never, as a process killed
 * with SIGKILL). A run stopped from outside gets the pod's grace period plus a margin to report its own
 * termination, so exactly one writer ends it: the process (the agent then adds the Kubernetes reason as
 * an ERROR line) or, once the wait is over, the agent (with the reason). Other failures fail at once.
 */
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeployContext } from "../../../src/agents/deployer.js";
import { DEFAULT_TERMINATION_REPORT, JobManager, type TerminationReportOptions } from "../../../src/platforms/kubernetes/kubernetes-agent.js";
import { serializeError } from "../../../src/core/errors.js";
import { createLogger } from "../../../src/core/logger.js";
import { isFinished } from "../../../src/core/states.js";
import { KubernetesApi } from "../../../src/platforms/kubernetes/kubernetes-api.js";
import type { InformerSource } from "../../../src/platforms/kubernetes/informer.js";
import type { V1Job } from "@kubernetes/client-node";
import type { JobManifest } from "../../../src/platforms/kubernetes/manifest-types.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../../src/platforms/kubernetes/names.js";
import { terminationError } from "../../../src/deployment/termination.js";
import { registerFixture, sleep, testConfig } from "../../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../../server/support.js";
import { startKubeStandin, type KubeObject, type KubeStandin } from "../../support/kube/index.js";

const IMAGE = "sluice-test/job-manager:1";
const NS = "default";
/** The run's process: prints what it gets and keeps running through SIGTERM, so only SIGKILL ends it. */
const STUBBORN = "let n = 0; process.on('SIGTERM', () => console.log('SIGTERM ' + ++n)); console.log('started'); setInterval(() => {}, 1000);";

describe("the Kubernetes agent's JobManager: runs stopped from outside", { timeout: 120_000 }, () => {
  const target = sqliteTarget();
  let home: string;
  let server: TestServer;
  let kube: KubeStandin;
  let api: KubernetesApi;
  let ctx: DeployContext;
  let flowId: string;
  /** failRun calls of the agent, in order, with when they came. */
  const failed: { flowRunId: string; message: string; at: number }[] = [];
  let jobs = 0;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-job-manager-"));
    server = await startTestServer(target, { home });
    kube = await startKubeStandin({ runner: "process", knownImages: [IMAGE] });
    api = await KubernetesApi.connect({ kubeconfig: kube.kubeconfigPath });
    flowId = await registerFixture(server.client, "agent-squares");
    const client = server.client;
    // What the agent's loop gives a deployer (src/agents/agent.ts), recording the failures.
    const logRun: DeployContext["logRun"] = async (flowRunId, level, message, fields) => {
      await client.writeLogs([{ flowRunId, level, message, ...(fields ? { fields } : {}) }]);
    };
    ctx = {
      client,
      config: testConfig(server.server.url, home),
      agent: { id: "agent-1", name: "job-manager-test", kind: "kubernetes", labels: [] },
      logger: createLogger({ level: "silent" }),
      runEnv: () => ({}),
      logRun,
      failRun: async (flowRunId, message) => {
        failed.push({ flowRunId, message, at: Date.now() });
        if (isFinished((await client.getFlowRun(flowRunId)).state.name)) return;
        await logRun(flowRunId, "error", message);
        await client.setFlowRunState(flowRunId, { name: "Failed", message });
      },
    };
  });
  after(async () => {
    await kube?.close();
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** The managers of the test: each watches the namespace (and acts on changes) until closed after it. */
  const managers: JobManager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close({ deleteJobs: false });
  });
  const manager = (report: Partial<TerminationReportOptions> = {}): JobManager => {
    const m = new JobManager(api, { namespace: NS, deleteFinishedJobs: true, terminationReport: { ...DEFAULT_TERMINATION_REPORT, ...report } });
    managers.push(m);
    return m;
  };

  /** A Running run, as its process reports it. */
  const runningRun = async (): Promise<string> => {
    const run = await server.client.createFlowRun({ flowId, parameters: {} });
    await server.client.setFlowRunState(run.id, { name: "Running" });
    return run.id;
  };

  /** Creates the run's Job (one pod running `script`) and starts managing it; answers the Job's name. */
  const launch = async (
    m: JobManager,
    flowRunId: string,
    pod: { script?: string; image?: string; grace?: number; backoffLimit?: number; initScript?: string; track?: boolean } = {},
  ): Promise<{ job: string; done: Promise<void> }> => {
    const labels = { [IDENTIFIER_LABEL]: randomUUID(), [FLOW_RUN_ID_LABEL]: flowRunId };
    const manifest: JobManifest = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: `jm-${process.pid}-${++jobs}`, labels },
      spec: {
        backoffLimit: pod.backoffLimit ?? 0,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "Never",
            ...(pod.grace === undefined ? {} : { terminationGracePeriodSeconds: pod.grace }),
            ...(pod.initScript === undefined ? {} : { initContainers: [{ name: "init", image: IMAGE, command: [process.execPath, "-e", pod.initScript] }] }),
            containers: [{ name: "flow", image: pod.image ?? IMAGE, command: [process.execPath, "-e", pod.script ?? STUBBORN] }],
          },
        },
      },
    };
    const { job } = await api.createJob(NS, manifest, flowRunId);
    return { job: job.metadata!.name!, done: pod.track === false ? Promise.resolve() : m.track(flowRunId, job.metadata!.name!) };
  };

  /** Runs loop turns (every 50 ms, as an agent at its fastest pace) until `until` answers a value. */
  const turnUntil = async <T>(
    m: JobManager,
    what: string,
    until: () => T | undefined | Promise<T | undefined>,
    timeoutMs = 30_000,
    context: DeployContext = ctx,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await m.turn(context);
      const value = await until();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  };
  const podOf = (job: string): KubeObject | undefined => kube.pods(NS).find((p) => p.metadata.labels?.["job-name"] === job);
  const runningPod = (m: JobManager, job: string): Promise<KubeObject> =>
    turnUntil(m, `the pod of ${job} to run`, () => {
      const pod = podOf(job);
      return pod?.status?.phase === "Running" && kube.logs(pod.metadata.name!).includes("started") ? pod : undefined;
    });
  const jobsLeft = (flowRunId: string): KubeObject[] => kube.jobs(NS).filter((j) => j.metadata.labels?.[FLOW_RUN_ID_LABEL] === flowRunId);
  const errorLines = async (flowRunId: string): Promise<string[]> => (await server.client.readLogs(flowRunId, { level: "error" })).items.map((l) => l.message);
  /** What stage B sends when SIGTERM stopped it (src/deployment/termination.ts). */
  const reportTerminated = async (flowRunId: string): Promise<void> => {
    const error = terminationError("SIGTERM", flowRunId);
    await server.client.setFlowRunState(flowRunId, { name: "Failed", message: error.message, error: serializeError(error) });
  };
  const doneOrUndefined = (done: Promise<void>): Promise<true | undefined> => Promise.race([done.then(() => true as const), sleep(0).then(() => undefined)]);

  it("a run that is over: its Job is deleted as soon as a pod fails, before Kubernetes retries it (backoffLimit 6)", async () => {
    const m = manager();
    const id = await runningRun();
    await server.client.setFlowRunState(id, { name: "Failed", message: "the flow failed" });
    // Stage B of a run already over: it prints "nothing to do" and exits 1; the Job would retry it 6 times.
    const { job, done } = await launch(m, id, { script: "console.log('already Failed: nothing to do'); process.exit(1)", backoffLimit: 6 });
    await turnUntil(m, "the run's Job to be deleted", () => (jobsLeft(id).length === 0 ? true : undefined), 8_000);
    assert.equal(kube.pods(NS).filter((p) => p.metadata.labels?.["job-name"] === job).length <= 1, true, "no retry pod");
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));
    assert.deepEqual(
      failed.filter((f) => f.flowRunId === id),
      [],
      "the agent does not fail a run that is over",
    );
  });

  it("a pod deleted while its process runs: the process reports TERMINATED within the grace, the agent only adds PodDeleted as an ERROR line", async () => {
    const m = manager();
    const id = await runningRun();
    const { job, done } = await launch(m, id, { grace: 2 });
    const pod = await runningPod(m, job);
    const name = pod.metadata.name!;
    kube.api.delete("pods", NS, name); // with its grace period: SIGTERM first
    await turnUntil(m, "the process to get SIGTERM", () => (kube.logs(name).includes("SIGTERM 1") ? true : undefined));
    // The agent has seen the deletion (and the Job failed by it) for a few turns: it waits, it does not fail the run.
    for (let i = 0; i < 5; i++) {
      await m.turn(ctx);
      await sleep(50);
    }
    assert.deepEqual(
      failed.filter((f) => f.flowRunId === id),
      [],
      "the agent leaves the run to its process during the grace",
    );
    assert.equal((await server.client.getFlowRun(id)).state.name, "Running");
    await reportTerminated(id);
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));

    const run = await server.client.getFlowRun(id);
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.error?.code, "TERMINATED");
    assert.equal(failed.filter((f) => f.flowRunId === id).length, 0, "the agent never failed the run");
    const lines = (await errorLines(id)).filter((l) => l.startsWith("Kubernetes: "));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0]!,
      new RegExp(`^Kubernetes: pod ${name} was deleted while it was running; .*\\(reason: PodDeleted\\); the run had already ended Failed$`),
    );
    await kube.waitFor(() => jobsLeft(id).length === 0 && !podOf(job), 10_000);
  });

  it("an evicted pod whose process reports: Evicted as an ERROR line; the Job deleted during the grace sends no second SIGTERM", async () => {
    const m = manager();
    const id = await runningRun();
    const { job, done } = await launch(m, id, { grace: 2 });
    const name = (await runningPod(m, job)).metadata.name!;
    const evicted = kube.evict(name, { message: "The node was low on resource: memory." }); // resolves once the process is gone
    // The agent deletes the run's Job at once (nothing restarts), and the pod goes with it while its
    // process still has its grace period: that deletion must not signal the process again (a second
    // SIGTERM makes `sluice execute` exit at once, before it reported).
    await turnUntil(m, "the pod to be deleted with its Job", () => (podOf(job)?.metadata.deletionTimestamp ? true : undefined));
    await sleep(200);
    const output = kube.logs(name);
    assert.match(output, /SIGTERM 1/);
    assert.doesNotMatch(output, /SIGTERM 2/);
    await reportTerminated(id);
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));

    assert.equal((await server.client.getFlowRun(id)).state.error?.code, "TERMINATED");
    assert.equal(failed.filter((f) => f.flowRunId === id).length, 0);
    const lines = (await errorLines(id)).filter((l) => l.startsWith("Kubernetes: "));
    assert.deepEqual(lines.length, 1, lines.join("\n"));
    assert.match(
      lines[0]!,
      new RegExp(`^Kubernetes: pod ${name} was evicted: The node was low on resource: memory\\.; .*\\(reason: Evicted\\); the run had already ended Failed$`),
    );
    await evicted;
    await kube.waitFor(() => jobsLeft(id).length === 0 && !podOf(job), 10_000);
  });

  it("a process that never reports (SIGTERM ignored, then SIGKILL): the agent fails the run with PodDeleted once the pod's grace and the margin have passed", async () => {
    const m = manager({ marginMs: 1_000, defaultGracePeriodMs: 20_000 });
    const id = await runningRun();
    const { job, done } = await launch(m, id, { grace: 2 });
    const name = (await runningPod(m, job)).metadata.name!;
    const deletedAt = Date.now();
    kube.api.delete("pods", NS, name);
    await turnUntil(m, "the process to get SIGTERM", () => (kube.logs(name).includes("SIGTERM 1") ? true : undefined));
    const failure = await turnUntil(m, "the agent to fail the run", () => failed.find((f) => f.flowRunId === id));
    const waited = failure.at - deletedAt;
    assert.ok(waited >= 3_000, `the agent waited the pod's grace (2 s) and the margin (1 s) before failing the run, not ${waited} ms`);
    assert.ok(waited < 10_000, `the wait came from the pod's grace, not the default (20 s): ${waited} ms`);
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));

    const run = await server.client.getFlowRun(id);
    assert.equal(run.state.name, "Failed");
    assert.equal(run.state.message, failure.message);
    assert.match(run.state.message!, new RegExp(`^Kubernetes: pod ${name} was deleted while it was running; .*\\(reason: PodDeleted\\)$`));
    const lines = await errorLines(id);
    assert.ok(
      lines.some((l) => l.startsWith(`Pod ${name}, container flow (image ${IMAGE}, 0 restarts): `)),
      `the container's last state:\n${lines.join("\n")}`,
    );
    assert.equal(failed.filter((f) => f.flowRunId === id).length, 1);
    await kube.waitFor(() => jobsLeft(id).length === 0 && !podOf(job), 10_000);
  });

  it("a Job deleted from under a run whose process never reports: JobDeleted once the grace has passed", async () => {
    const m = manager({ marginMs: 500, defaultGracePeriodMs: 20_000 });
    const id = await runningRun();
    const { job, done } = await launch(m, id, { grace: 1 });
    await runningPod(m, job);
    const deletedAt = Date.now();
    kube.api.delete("jobs", NS, job, { propagationPolicy: "Background" }); // its pod goes with its grace period
    const failure = await turnUntil(m, "the agent to fail the run", () => failed.find((f) => f.flowRunId === id));
    const waited = failure.at - deletedAt;
    assert.ok(waited >= 1_500 && waited < 10_000, `waited ${waited} ms`);
    assert.match(failure.message, new RegExp(`^Kubernetes: Kubernetes Job ${job} was deleted before it finished.*\\(reason: JobDeleted\\)$`));
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));
    assert.equal((await server.client.getFlowRun(id)).state.message, failure.message);
  });

  it("no pod of the run was ever seen: the default grace; a long pod grace is capped by maxWaitMs", async () => {
    const unseen = manager({ marginMs: 500, defaultGracePeriodMs: 1_500 });
    const id = await runningRun();
    const startedAt = Date.now();
    const done = unseen.track(id, `jm-${process.pid}-never-created`);
    const failure = await turnUntil(unseen, "the agent to fail the run", () => failed.find((f) => f.flowRunId === id));
    assert.ok(failure.at - startedAt >= 2_000 && failure.at - startedAt < 10_000, `waited ${failure.at - startedAt} ms`);
    assert.match(failure.message, /^Kubernetes: Kubernetes Job jm-\d+-never-created was deleted before it finished.*\(reason: JobDeleted\)$/);
    await turnUntil(unseen, "the run to be let go", () => doneOrUndefined(done));
    // One manager per namespace, as one agent: a second one watching it would manage the next run too.
    await unseen.close({ deleteJobs: false });

    const capped = manager({ marginMs: 500, maxWaitMs: 1_500 });
    const other = await runningRun();
    const launched = await launch(capped, other, { grace: 3_600 });
    const name = (await runningPod(capped, launched.job)).metadata.name!;
    const deletedAt = Date.now();
    kube.api.delete("pods", NS, name, { gracePeriodSeconds: 0 });
    const late = await turnUntil(capped, "the agent to fail the run", () => failed.find((f) => f.flowRunId === other));
    assert.ok(late.at - deletedAt >= 1_500 && late.at - deletedAt < 10_000, `waited ${late.at - deletedAt} ms, not the pod's hour`);
    assert.match(late.message, /\(reason: PodDeleted\)$/);
    await turnUntil(capped, "the run to be let go", () => doneOrUndefined(launched.done));
  });

  it("an image that cannot be pulled fails the run at once, with no grace, and its Job is deleted", async () => {
    const m = manager({ marginMs: 60_000 });
    const id = await runningRun();
    const startedAt = Date.now();
    const { job, done } = await launch(m, id, { image: "sluice-test/does-not-exist:1" });
    const failure = await turnUntil(m, "the agent to fail the run", () => failed.find((f) => f.flowRunId === id), 15_000);
    assert.ok(failure.at - startedAt < 15_000);
    assert.match(failure.message, /cannot start: (ErrImagePull|ImagePullBackOff).*\(reason: (ErrImagePull|ImagePullBackOff)\)$/);
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));
    await kube.waitFor(() => jobsLeft(id).length === 0 && !podOf(job), 10_000);
  });

  it("a change wakes the manager: a Job's end is handled at once, with no loop turn after the first", async () => {
    const m = manager();
    await m.turn(ctx); // the first turn starts the watches; no other turn follows
    const id = await runningRun();
    await server.client.setFlowRunState(id, { name: "Success" });
    const { job, done } = await launch(m, id, { script: "console.log('done')" });
    await kube.waitFor(() => kube.jobs(NS).find((j) => j.metadata.name === job && j.status?.succeeded === 1), 15_000);
    await kube.waitFor(() => (jobsLeft(id).length === 0 ? true : undefined), 10_000);
    assert.equal(await Promise.race([done.then(() => "let go"), sleep(5_000).then(() => "still managed")]), "let go");
    assert.deepEqual(
      failed.filter((f) => f.flowRunId === id),
      [],
    );
  });

  it("a Job deleted from outside whose deletion the Job watch has not delivered: its pod's deletion still names JobDeleted, the cause", async () => {
    // Watches of 1 s: once the Jobs may no longer be listed or watched, the manager's copy of them is frozen,
    // as when the pod's deletion arrives on its stream before the Job's on the other.
    const m = new JobManager(api, {
      namespace: NS,
      deleteFinishedJobs: true,
      terminationReport: { ...DEFAULT_TERMINATION_REPORT, marginMs: 500 },
      watch: { watchTimeoutSeconds: 1, backoffInitialMs: 100, backoffMaxMs: 200 },
    });
    managers.push(m);
    const id = await runningRun();
    const { job, done } = await launch(m, id, { grace: 1 });
    await runningPod(m, job);
    const allowList = kube.deny("list", "jobs", NS);
    const allowWatch = kube.deny("watch", "jobs", NS);
    try {
      await sleep(2_500); // the Job watch ended and cannot be opened again
      kube.api.delete("jobs", NS, job, { propagationPolicy: "Background" }); // the garbage collector then deletes its pod
      const failure = await turnUntil(m, "the agent to fail the run", () => failed.find((f) => f.flowRunId === id));
      assert.match(failure.message, new RegExp(`^Kubernetes: Kubernetes Job ${job} was deleted before it finished.*\\(reason: JobDeleted\\)$`));
    } finally {
      allowList();
      allowWatch();
    }
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));
  });

  it("pending pods' events come from the watch: logged once each, in the order they happened, with no list of events after the first", async () => {
    const listsBefore = kube.requestCount("list", "events");
    const m = manager();
    const id = await runningRun();
    // An init container keeps the pod Pending for a while: its events (scheduled, pulled, started) come meanwhile.
    const { job, done } = await launch(m, id, { initScript: "setTimeout(() => {}, 2000)", script: "console.log('started'); setTimeout(() => {}, 1500)" });
    const pod = await runningPod(m, job);
    await server.client.setFlowRunState(id, { name: "Success" });
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));
    const name = pod.metadata.name!;
    const lines = (await server.client.readLogs(id, { level: "debug" })).items.map((l) => l.message).filter((l) => l.startsWith(`Pod ${name}: `));
    assert.ok(lines.length >= 3, `the pending pod's events:\n${lines.join("\n")}`);
    assert.match(lines[0]!, new RegExp(`^Pod ${name}: Scheduled: `), lines.join("\n"));
    assert.ok(
      lines.some((l) => l.startsWith(`Pod ${name}: Started: `)),
      lines.join("\n"),
    );
    assert.equal(new Set(lines).size, lines.length, `each event once:\n${lines.join("\n")}`);
    assert.equal(kube.requestCount("list", "events") - listsBefore, 1, "one list of the events (the informer's first), then the watch");
  });

  it("a Job whose ADDED event the Job watch has not delivered yet is read from the server, not taken for deleted", async () => {
    // The Job watch lags 2 s behind the server (a busy server or network), the pods' watch does not.
    const LAG_MS = 2_000;
    const lagging = await KubernetesApi.connect({ kubeconfig: kube.kubeconfigPath });
    const jobsSource = lagging.jobsSource.bind(lagging);
    lagging.jobsSource = (namespace: string, labelSelector: string): InformerSource<V1Job> => {
      const source = jobsSource(namespace, labelSelector);
      return {
        ...source,
        watch: (query, onEvent, onEnd) =>
          source.watch(
            query,
            (type, object) => void setTimeout(() => onEvent(type, object), LAG_MS),
            (error) => void setTimeout(() => onEnd(error), LAG_MS),
          ),
      };
    };
    // A stop from outside would be settled within 0.3 s: a Job taken for deleted fails the run well within the lag.
    const m = new JobManager(lagging, {
      namespace: NS,
      deleteFinishedJobs: true,
      terminationReport: { ...DEFAULT_TERMINATION_REPORT, marginMs: 100, defaultGracePeriodMs: 200 },
    });
    managers.push(m);
    await m.turn(ctx);
    const id = await runningRun();
    const { done } = await launch(m, id, { grace: 0, script: "console.log('started'); setTimeout(() => {}, 4000)" });
    const until = Date.now() + LAG_MS;
    while (Date.now() < until) {
      await m.turn(ctx);
      await sleep(50);
    }
    assert.deepEqual(
      failed.filter((f) => f.flowRunId === id),
      [],
      "a Job the watch has not delivered yet is not a deleted Job",
    );
    assert.ok(m.runs.includes(id));
    await server.client.setFlowRunState(id, { name: "Success" });
    await turnUntil(m, "the run to be let go", () => doneOrUndefined(done));
    assert.deepEqual(
      failed.filter((f) => f.flowRunId === id),
      [],
    );
  });

  it("pod events that cannot be watched (a Role without events): the Jobs are still managed, and one WARN says so", async () => {
    const warns: string[] = [];
    const logger = createLogger({ level: "warn", destination: { write: (line: string) => void warns.push(line) } });
    const context: DeployContext = { ...ctx, logger };
    const allowList = kube.deny("list", "events", NS);
    const allowWatch = kube.deny("watch", "events", NS);
    try {
      const m = manager();
      const id = await runningRun();
      const { job, done } = await launch(m, id, { script: "console.log('started'); setTimeout(() => {}, 1000)" });
      await turnUntil(m, "the pod to run", () => (podOf(job)?.status?.phase === "Running" ? true : undefined), 30_000, context);
      await server.client.setFlowRunState(id, { name: "Success" });
      await turnUntil(m, "the run to be let go", () => doneOrUndefined(done), 30_000, context);
      await kube.waitFor(() => jobsLeft(id).length === 0, 10_000); // its finished Job was deleted
      const said = warns.filter((w) => w.includes("pending pods' events are not logged"));
      assert.equal(said.length, 1, warns.join("\n"));
      assert.match(said[0]!, /events \(involvedObject\.kind=Pod\) in namespace default.*(forbidden|Forbidden)/);
    } finally {
      allowList();
      allowWatch();
    }
  });

  it("two agents on one namespace: each acts on its own runs only (launched by it, or claimed by it before a restart)", async () => {
    const agentContext = async (name: string, label: string): Promise<{ ctx: DeployContext; id: string; fails: string[] }> => {
      const agent = await server.client.registerAgent({ name, kind: "kubernetes", labels: [label] });
      const fails: string[] = [];
      const own: DeployContext = {
        ...ctx,
        agent: { id: agent.id, name: agent.name, kind: agent.kind, labels: agent.labels },
        failRun: async (flowRunId, message) => {
          fails.push(flowRunId);
          await ctx.failRun(flowRunId, message);
        },
      };
      return { ctx: own, id: agent.id, fails };
    };
    const claimedRun = async (agentId: string, label: string): Promise<string> => {
      const run = await server.client.createFlowRun({ flowId, parameters: {}, labels: [label] });
      const claimed = await server.client.claimFlowRuns({ agentId, limit: 1 });
      assert.deepEqual(
        claimed.map((c) => c.flowRun.id),
        [run.id],
      );
      await server.client.setFlowRunState(run.id, { name: "Running" });
      return run.id;
    };
    const a = await agentContext(`jm-a-${process.pid}`, "jm-a");
    const b = await agentContext(`jm-b-${process.pid}`, "jm-b");
    const managerA = manager();
    const managerB = manager();
    // A's run from before A restarted: claimed by A on the server, its Job tracked by no manager. B's run: launched by B.
    const mine = await claimedRun(a.id, "jm-a");
    const ofA = await launch(managerA, mine, { image: "sluice-test/does-not-exist:a", track: false });
    const theirs = await claimedRun(b.id, "jm-b");
    const ofB = await launch(managerB, theirs, { image: "sluice-test/does-not-exist:b" });
    const pulling = (job: string): boolean => /ErrImagePull|ImagePullBackOff/.test(podOf(job)?.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? "");

    // B alone: it fails its run, and leaves A's alone, though that run's pod cannot pull its image either.
    await turnUntil(
      managerB,
      "B to fail its run, with A's pod failing too",
      () => (b.fails.includes(theirs) && pulling(ofA.job) ? true : undefined),
      30_000,
      b.ctx,
    );
    for (let i = 0; i < 5; i++) {
      await managerB.turn(b.ctx);
      await sleep(50);
    }
    assert.deepEqual(b.fails, [theirs], "B failed only its own run");
    assert.equal((await server.client.getFlowRun(mine)).state.name, "Running", "A's run is untouched by B");
    assert.equal(jobsLeft(mine).length, 1, "A's Job is untouched by B");

    // A takes its run back from the server's record (claimed by A) and fails it; never B's.
    await turnUntil(managerA, "A to fail its run", () => (a.fails.includes(mine) ? true : undefined), 30_000, a.ctx);
    assert.deepEqual(a.fails, [mine]);
    await turnUntil(managerA, "A to delete its failed run's Job", () => (jobsLeft(mine).length === 0 ? true : undefined), 30_000, a.ctx);
    await turnUntil(managerB, "B to let its run go", () => doneOrUndefined(ofB.done), 30_000, b.ctx);
    assert.deepEqual(b.fails, [theirs]);
  });
});
