/**
 * What the Kubernetes agent does with the Jobs it and the environments created. Informers (informer.ts)
 * keep a copy of the Jobs labelled `sluice.io/identifier`, of the pods labelled `sluice.io/flow-run-id` and
 * of the pods' events in its namespace: one list each at the first loop turn, then watches. A pass over
 * that copy runs at every loop turn (which no longer lists anything) and, between turns, as soon as a
 * watched Job or pod changes (or an event arrives while a pod of a run is pending), so a Job's end or a
 * pod's failure is handled at once. It leaves alone the runs another agent claimed (run-owners.ts): agents may share
 * the namespace. For each run:
 *
 * - pending pods' events become DEBUG log lines on the run, once each, in the order they happened
 *   (event-order.ts);
 * - image pull errors, OOM kills, containers that cannot be configured and a Job failed by its backoff
 *   limit fail the run at once with the reason (unless it already finished), after each container's
 *   state, exit code and reason went to the run's ERROR log;
 * - a stop from outside (a pod evicted or deleted, a Job deleted or past its deadline) sent the run's
 *   process SIGTERM: it has the pod's grace period to end the run itself (Failed, TERMINATED), so the
 *   agent waits that long plus a margin (`TerminationReportOptions`). If the run ended, the Kubernetes
 *   reason becomes an ERROR line on it; if not (SIGKILL, a lost node), the agent fails it with the reason.
 *   Either way one writer ends the run, whatever the timing;
 * - after a failure (at once, also during that wait) the run's Jobs are deleted, so nothing keeps pulling
 *   or restarting; finished Jobs are deleted with foreground propagation (their pods first), unless turned off.
 *
 * A run stops being managed when it has no Job left and nothing to wait for (or, when finished Jobs are
 * kept, when they all finished); the deployment's `done` resolves then.
 */
import type { CoreV1Event, V1Job, V1Pod } from "@kubernetes/client-node";
import type { FlowRun } from "../../client/index.js";
import type { DeployContext } from "../../agents/deployer.js";
import { isFinished, type StateName } from "../../core/states.js";
import type { KubernetesApi } from "./kubernetes-api.js";
import { Informer, type InformerOptions } from "./informer.js";
import { eventDigest, eventsByObject } from "./event-order.js";
import { RunOwners } from "./run-owners.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "./names.js";
import type { TerminationReportOptions } from "./agent-options.js";
import { containerStateLines, isPending, isTerminal, jobFailure, jobOutcome, podFailure, type RunFailure } from "./pod-status.js";

interface TrackedJob {
  finished: boolean;
  /**
   * Its controller stops its remaining pods: it completed, or ran past its deadline. A pod of such a Job
   * being deleted is the Job's doing, not a deletion from outside.
   */
  stopsItsPods: boolean;
  /** This agent asked for its deletion. */
  deleting: boolean;
}

/** A run stopped from outside, whose process has until `until` (ms since the epoch) to end it. */
interface Stopping {
  until: number;
  /** What Kubernetes did, the cause first. */
  failures: RunFailure[];
  /** The last state seen of each of the run's pods, for the ERROR lines when the agent fails the run. */
  pods: Map<string, V1Pod>;
}

interface TrackedRun {
  jobs: Map<string, TrackedJob>;
  /** Pods seen, by name: whether they had ended (and succeeded), their Job, and their grace period in seconds. */
  pods: Map<string, { terminal: boolean; succeeded: boolean; job: string | undefined; grace: number | undefined }>;
  /** Events already written to the run's log (by uid). */
  events: Set<string>;
  /** Container state lines already written. */
  stateLines: Set<string>;
  /** The run is finished (failed here, or seen finished): no more state checks. */
  settled: boolean;
  /** Set while the run's process has its chance to report a stop from outside. */
  stopping: Stopping | undefined;
  /** Its environment runs it in Kubernetes Jobs: once they are all gone, the run must have finished. */
  expectsJobs: boolean;
  /** Every Job name seen for the run, for messages. */
  seenJobs: Set<string>;
  /** Resolves when the run is no longer managed. */
  promise: Promise<void>;
  done: () => void;
}

export interface JobManagerOptions {
  namespace: string;
  deleteFinishedJobs: boolean;
  /** How long a run stopped from outside is left to report its own termination. */
  terminationReport: TerminationReportOptions;
  /**
   * How the Job, pod and event watches last and retry (see InformerOptions).
   * @default {} (each watch lasts 5 to 10 minutes; after failures, a back-off from 0.5 s doubling up to 30 s)
   */
  watch?: Pick<InformerOptions, "watchTimeoutSeconds" | "backoffInitialMs" | "backoffMaxMs">;
}

/** How long a change waits for the changes that come with it (a pod's and its Job's), so one pass sees them all. */
const WAKE_DELAY_MS = 25;

interface Watched {
  jobs: Informer<V1Job>;
  pods: Informer<V1Pod>;
}

/** The pods' events as last seen: none while their informer could not start. */
type WatchedEvents = Informer<CoreV1Event> | undefined;

/**
 * Failures that stop a run from outside: its process receives SIGTERM (and the pod's grace period before
 * SIGKILL) and ends the run Failed ("terminated by SIGTERM", code TERMINATED), unless it cannot.
 * A Job past its deadline is one: its controller deletes the Job's pods, with their grace period.
 */
const EXTERNAL_REASONS = new Set(["Evicted", "PodDeleted", "JobDeleted", "DeadlineExceeded"]);

/** Causes before consequences: a Job deletion deletes its pods; a deleted or evicted pod fails its Job. */
const CAUSE_RANK: Readonly<Record<string, number>> = { JobDeleted: 0, PodDeleted: 1, Evicted: 1, DeadlineExceeded: 2 };
const byCause = (failures: RunFailure[]): RunFailure[] => {
  const unique = [...new Map(failures.map((f) => [f.message, f])).values()];
  return unique.sort((a, b) => (CAUSE_RANK[a.reason] ?? 3) - (CAUSE_RANK[b.reason] ?? 3));
};

const runIdOf = (o: V1Job | V1Pod): string | undefined => o.metadata?.labels?.[FLOW_RUN_ID_LABEL];
const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function jobOfPod(pod: V1Pod): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.kind === "Job" && r.controller);
  return owner?.name ?? pod.metadata?.labels?.["batch.kubernetes.io/job-name"] ?? pod.metadata?.labels?.["job-name"];
}

export class JobManager {
  readonly #runs = new Map<string, TrackedRun>();
  /** Uids of finished Jobs that are kept (deleteFinishedJobs off) and need no more attention. */
  readonly #settledJobs = new Set<string>();
  /** The informers, once started (their first lists succeeded). */
  #watched: Promise<Watched> | undefined;
  /**
   * The pods' events' informer, once started. Events only add DEBUG lines, so an informer that cannot
   * start (e.g. a Role without `watch` on events) leaves the Jobs managed and is tried again next turn.
   */
  #events: Promise<WatchedEvents> | undefined;
  /** The failure of the events' informer last reported, so a lasting one is said once. */
  #eventsFailure: string | undefined;
  /** Pending pods of managed runs at the last pass: only then does an arriving event need a pass. */
  #pendingPods = 0;
  readonly #owners = new RunOwners();
  /** The context of the last loop turn: a pass woken by a change between turns uses it. */
  #ctx: DeployContext | undefined;
  /** The pass running or queued last: passes never overlap. */
  #passes: Promise<void> = Promise.resolve();
  #wakeQueued = false;
  #closed = false;

  constructor(
    private readonly api: KubernetesApi,
    private readonly options: JobManagerOptions,
  ) {}

  /** Runs under management. */
  get runs(): string[] {
    return [...this.#runs.keys()];
  }

  #entry(flowRunId: string): TrackedRun {
    let run = this.#runs.get(flowRunId);
    if (!run) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      run = {
        jobs: new Map(),
        pods: new Map(),
        events: new Set(),
        stateLines: new Set(),
        settled: false,
        stopping: undefined,
        expectsJobs: true,
        seenJobs: new Set(),
        promise,
        done: () => resolve(),
      };
      this.#runs.set(flowRunId, run);
    }
    return run;
  }

  /**
   * Starts managing a run whose Job was just created; resolves when the run is no longer managed.
   * `expectsJobs`: the run's environment runs it in Kubernetes Jobs (so a run left without a Job and not
   * finished was cut short); false for environments that launch elsewhere (e.g. ECS).
   */
  track(flowRunId: string, jobName: string, expectsJobs = true): Promise<void> {
    const run = this.#entry(flowRunId);
    run.expectsJobs = expectsJobs;
    run.seenJobs.add(jobName);
    if (!run.jobs.has(jobName)) run.jobs.set(jobName, { finished: false, stopsItsPods: false, deleting: false });
    return run.promise;
  }

  /**
   * One pass over every Job and pod of the namespace, as the informers last saw them. The first turn starts
   * the informers and rejects when their first list fails (it is tried again at the next turn).
   */
  async turn(ctx: DeployContext): Promise<void> {
    this.#ctx = ctx;
    const [watched, events] = await Promise.all([this.#watch(), this.#watchEvents(ctx)]);
    await this.#serialized(() => this.#pass(ctx, watched, events));
  }

  #informerOptions(): InformerOptions {
    return {
      ...this.options.watch,
      onChange: () => this.#wake(),
      onError: (error) => this.#ctx?.logger.warn({ err: error }, `Kubernetes watch failed (retried after a back-off): ${text(error)}`),
    };
  }

  /** Starts the informers once; a failed start is forgotten so that the next turn tries again. */
  #watch(): Promise<Watched> {
    this.#watched ??= (async () => {
      const ns = this.options.namespace;
      const options = this.#informerOptions();
      const pods = new Informer(this.api.podsSource(ns, FLOW_RUN_ID_LABEL), options);
      const jobs = new Informer(this.api.jobsSource(ns, IDENTIFIER_LABEL), options);
      const started = await Promise.allSettled([pods.start(), jobs.start()]);
      const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed || this.#closed) {
        pods.stop();
        jobs.stop();
        if (failed) throw failed.reason;
      }
      return { jobs, pods };
    })();
    this.#watched.catch(() => (this.#watched = undefined));
    return this.#watched;
  }

  /** Starts the pods' events' informer once; a failed start is reported (once while it lasts) and tried again next turn. */
  #watchEvents(ctx: DeployContext): Promise<WatchedEvents> {
    this.#events ??= (async () => {
      const informer = new Informer<CoreV1Event>(this.api.eventsSource(this.options.namespace, "Pod"), {
        ...this.#informerOptions(),
        transform: eventDigest,
        onChange: () => {
          if (this.#pendingPods > 0) this.#wake();
        },
      });
      try {
        await informer.start();
      } catch (error) {
        this.#events = undefined;
        if (this.#eventsFailure !== text(error)) {
          this.#eventsFailure = text(error);
          ctx.logger.warn({ err: error }, `pending pods' events are not logged on their runs until this works (tried at every loop turn): ${text(error)}`);
        }
        return undefined;
      }
      this.#eventsFailure = undefined;
      if (this.#closed) informer.stop();
      return informer;
    })();
    return this.#events;
  }

  #serialized(pass: () => Promise<void>): Promise<void> {
    const next = this.#passes.then(pass);
    this.#passes = next.catch(() => undefined);
    return next;
  }

  /** A watched Job or pod changed: a pass soon, with the last turn's context (none before the first turn). */
  #wake(): void {
    if (this.#wakeQueued || this.#closed || this.#ctx === undefined) return;
    this.#wakeQueued = true;
    const timer = setTimeout(() => {
      const ctx = this.#ctx!;
      void this.#serialized(async () => {
        this.#wakeQueued = false;
        const watched = await this.#watched?.catch(() => undefined);
        if (this.#closed || watched === undefined) return;
        await this.#pass(ctx, watched, await this.#events);
      }).catch((error: unknown) => ctx.logger.warn({ err: error }, `managing the Kubernetes Jobs after a change failed: ${text(error)}`));
    }, WAKE_DELAY_MS);
    timer.unref();
  }

  async #pass(ctx: DeployContext, watched: Watched, events: WatchedEvents): Promise<void> {
    const pods = watched.pods.list();
    const jobs = watched.jobs.list();
    const listed = new Set(jobs.map((j) => j.metadata?.uid ?? ""));
    for (const uid of this.#settledJobs) if (!listed.has(uid)) this.#settledJobs.delete(uid);
    const jobsByRun = new Map<string, V1Job[]>();
    for (const job of jobs) {
      const id = runIdOf(job);
      if (id === undefined || this.#settledJobs.has(job.metadata?.uid ?? "")) continue;
      jobsByRun.set(id, [...(jobsByRun.get(id) ?? []), job]);
    }
    const podsByRun = new Map<string, V1Pod[]>();
    for (const pod of pods) {
      const id = runIdOf(pod);
      if (id !== undefined) podsByRun.set(id, [...(podsByRun.get(id) ?? []), pod]);
    }
    const eventsByPod = eventsByObject(events?.list() ?? []);
    this.#owners.keepOnly(new Set(jobsByRun.keys()));
    let pending = 0;
    for (const id of new Set([...this.#runs.keys(), ...jobsByRun.keys()])) {
      try {
        // Jobs of a run this agent did not launch since it started: another agent's, or its own from before a restart.
        if (!this.#runs.has(id) && (await this.#owners.owns(ctx, id, jobsByRun.get(id) ?? [])) !== true) continue;
        const runPods = podsByRun.get(id) ?? [];
        pending += runPods.filter(isPending).length;
        await this.#manage(ctx, id, jobsByRun.get(id) ?? [], runPods, eventsByPod);
      } catch (error) {
        ctx.logger.warn({ flowRunId: id, err: error }, `managing the Kubernetes Jobs of flow run ${id} failed: ${text(error)}`);
      }
    }
    this.#pendingPods = pending;
  }

  /**
   * The two watches are separate streams: a pod the garbage collector deleted because its Job was deleted
   * can arrive before that Job's deletion. So when a pod of a Job that looks alive was deleted, the Job is
   * read from the server (a read is never behind the pod's deletion): gone, or being deleted, it is the
   * cause to name (JobDeleted), not only its consequence (PodDeleted).
   */
  async #confirmJobs(run: TrackedRun, present: Map<string, V1Job>, pods: V1Pod[]): Promise<void> {
    // A Job this agent tracks that the Job watch has not delivered yet is read before it can be taken for
    // deleted. The create's answer and the watch's ADDED event travel on different connections: a pass
    // woken by any other change (a pod's, another run's) can run in between, and taking the Job for deleted
    // would stop the run from outside and fail it once the grace is over. One read per such Job and pass,
    // until the watch delivers it.
    for (const [name, tracked] of run.jobs) {
      if (present.has(name) || tracked.deleting) continue;
      const fresh = await this.api.readJob(this.options.namespace, name);
      if (fresh !== null) present.set(name, fresh);
    }
    const current = new Set(pods.map((p) => p.metadata!.name!));
    const suspects = new Set<string>();
    for (const pod of pods) {
      const job = jobOfPod(pod);
      if (pod.metadata?.deletionTimestamp && job !== undefined) suspects.add(job);
    }
    for (const [name, last] of run.pods) if (!current.has(name) && !last.terminal && last.job !== undefined) suspects.add(last.job);
    for (const name of suspects) {
      const tracked = run.jobs.get(name);
      const job = present.get(name);
      if (!job || job.metadata?.deletionTimestamp || !tracked || tracked.deleting || tracked.stopsItsPods) continue;
      const fresh = await this.api.readJob(this.options.namespace, name);
      if (fresh === null) present.delete(name);
      else present.set(name, fresh);
    }
  }

  async #manage(ctx: DeployContext, flowRunId: string, jobs: V1Job[], pods: V1Pod[], eventsByPod: Map<string, CoreV1Event[]>): Promise<void> {
    const run = this.#entry(flowRunId);
    const deleted: RunFailure[] = [];
    const podFailures: RunFailure[] = [];
    const jobFailures: RunFailure[] = [];
    const present = new Map(jobs.map((j) => [j.metadata!.name!, j]));
    await this.#confirmJobs(run, present, pods);
    for (const [name, tracked] of run.jobs) {
      if (present.has(name)) continue;
      run.jobs.delete(name);
      if (!tracked.deleting && !tracked.finished) deleted.push({ reason: "JobDeleted", message: `Kubernetes Job ${name} was deleted before it finished` });
    }
    for (const [name, job] of present) {
      run.seenJobs.add(name);
      const tracked = run.jobs.get(name) ?? { finished: false, stopsItsPods: false, deleting: false };
      run.jobs.set(name, tracked);
      const outcome = jobOutcome(job);
      tracked.finished = outcome !== undefined;
      tracked.stopsItsPods = outcome?.type === "Complete" || outcome?.reason === "DeadlineExceeded";
      if (job.metadata?.deletionTimestamp && !tracked.deleting && !tracked.finished) {
        deleted.push({ reason: "JobDeleted", message: `Kubernetes Job ${name} was deleted before it finished` });
      }
      const failed = jobFailure(job);
      if (failed) jobFailures.push(failed);
    }
    // A Job's pod (the run's process runs in one; other pods, such as a cluster's workers, are their
    // environment's business) deleted while it ran, by someone else than this agent (deleting the run's
    // Jobs) or its Job (done, or past its deadline). A Job failed by its backoff limit does not excuse it:
    // the deletion of its only pod is what fails such a Job.
    const deletedFromOutside = (job: string | undefined): boolean => job !== undefined && !run.jobs.get(job)?.deleting && !run.jobs.get(job)?.stopsItsPods;
    const seen = new Set<string>();
    /** Grace periods (s) of the Jobs' pods whose process may still be ending the run. */
    const graces: number[] = [];
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const job = jobOfPod(pod);
      const last = run.pods.get(name);
      seen.add(name);
      // Not terminal, or terminal since the last turn (the process ended within the deletion's grace).
      const wasRunning = !isTerminal(pod) || (pod.status?.phase === "Failed" && last?.terminal === false);
      if (pod.metadata?.deletionTimestamp && wasRunning && deletedFromOutside(job)) {
        deleted.push({ reason: "PodDeleted", message: `pod ${name} was deleted while it was running` });
      }
      const failed = podFailure(pod);
      if (failed) podFailures.push(failed);
      const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds;
      const succeeded = pod.status?.phase === "Succeeded";
      if (!succeeded && job !== undefined && grace !== undefined) graces.push(grace);
      run.pods.set(name, { terminal: isTerminal(pod), succeeded, job, grace });
    }
    for (const [name, last] of run.pods) {
      if (seen.has(name)) continue;
      run.pods.delete(name);
      if (!last.succeeded && last.job !== undefined && last.grace !== undefined) graces.push(last.grace);
      const job = last.job !== undefined ? run.jobs.get(last.job) : undefined;
      if (!last.terminal && job && !job.deleting && !job.stopsItsPods)
        deleted.push({ reason: "PodDeleted", message: `pod ${name} was deleted while it was running` });
    }
    const failures = [...deleted, ...podFailures, ...jobFailures];

    const onlyPodsStopped = failures.every((f) => EXTERNAL_REASONS.has(f.reason) && f.reason !== "JobDeleted");
    if (onlyPodsStopped && run.jobs.size === 0 && run.expectsJobs && !run.settled && !run.stopping) {
      // Every Job of the run is gone (deleted from outside, maybe before this agent saw the last one). If
      // the run did not finish, nothing but its process (on the SIGTERM of that deletion) will finish it.
      const current = await this.#current(ctx, flowRunId);
      if (current === undefined || !isFinished(current.name) || current.error?.code === "TERMINATED") {
        failures.push({
          reason: "JobDeleted",
          message: `the run's Kubernetes Jobs (${[...run.seenJobs].join(", ")}) are gone and the run did not finish: a Job or its pod was deleted before it finished`,
        });
      }
    }

    if (!run.settled) await this.#logPendingEvents(ctx, flowRunId, run, pods, eventsByPod);
    if (!run.settled && (failures.length > 0 || run.stopping)) await this.#settle(ctx, flowRunId, run, pods, failures, graces);
    // A run that is over needs none of its Jobs, whatever their state: a Job whose pod failed would
    // otherwise retry it (backoffLimit) only for the new pod to find the run over.
    let over = false;
    const unfinished = [...run.jobs.values()].some((j) => !j.finished && !j.deleting);
    if (unfinished && !run.stopping && pods.some((p) => p.status?.phase === "Failed" && jobOfPod(p) !== undefined)) {
      over = await this.#finished(ctx, flowRunId);
      if (over) ctx.logger.debug({ flowRunId }, `flow run ${flowRunId} is over: deleting its Kubernetes Jobs before they retry`);
    }
    await this.#cleanUp(ctx, flowRunId, run, present, failures.length > 0 || run.stopping !== undefined || over);

    const waiting = run.stopping !== undefined && !run.settled;
    const open = [...run.jobs.values()].filter((j) => !j.finished && !j.deleting);
    if (
      !waiting &&
      (run.jobs.size === 0 || (!this.options.deleteFinishedJobs && open.length === 0 && (run.settled || (await this.#finished(ctx, flowRunId)))))
    ) {
      for (const job of jobs) if (jobOutcome(job)) this.#settledJobs.add(job.metadata?.uid ?? "");
      this.#runs.delete(flowRunId);
      run.done();
    }
  }

  /**
   * Failures seen for a run not settled yet. A stop from outside (EXTERNAL_REASONS) gives the run's
   * process the pod's grace period plus a margin to end the run itself; then the run is settled: an
   * ERROR line with the reasons when it ended, failed with them when it did not. Other failures, when
   * nothing stopped the run from outside, fail it at once.
   */
  async #settle(ctx: DeployContext, flowRunId: string, run: TrackedRun, pods: V1Pod[], failures: RunFailure[], graces: number[]): Promise<void> {
    if (!run.stopping && !failures.some((f) => EXTERNAL_REASONS.has(f.reason))) return this.#fail(ctx, flowRunId, run, pods, failures);
    const now = Date.now();
    if (!run.stopping) {
      const r = this.options.terminationReport;
      const grace = graces.length > 0 ? Math.max(...graces) * 1000 : r.defaultGracePeriodMs;
      const wait = Math.min(grace + r.marginMs, r.maxWaitMs);
      run.stopping = { until: now + wait, failures: [], pods: new Map() };
      ctx.logger.debug(
        { flowRunId, reasons: failures.map((f) => f.reason), waitMs: wait },
        `flow run ${flowRunId} was stopped from outside; its process has ${wait} ms to report before the agent fails it`,
      );
    }
    const stopping = run.stopping;
    stopping.failures = byCause([...stopping.failures, ...failures]);
    for (const pod of pods) stopping.pods.set(pod.metadata!.name!, pod);
    const current = await this.#current(ctx, flowRunId);
    if ((current !== undefined && isFinished(current.name)) || now >= stopping.until) {
      await this.#fail(ctx, flowRunId, run, [...stopping.pods.values()], stopping.failures, current);
    }
  }

  /** The run's state on the server; undefined when it cannot be read. */
  async #current(ctx: DeployContext, flowRunId: string): Promise<FlowRun["state"] | undefined> {
    try {
      return (await ctx.client.getFlowRun(flowRunId)).state;
    } catch {
      return undefined;
    }
  }

  async #state(ctx: DeployContext, flowRunId: string): Promise<StateName | undefined> {
    return (await this.#current(ctx, flowRunId))?.name;
  }

  async #finished(ctx: DeployContext, flowRunId: string): Promise<boolean> {
    const state = await this.#state(ctx, flowRunId);
    return state !== undefined && isFinished(state);
  }

  /** The events of the run's pending pods not logged yet, as DEBUG lines, in the order they happened. */
  async #logPendingEvents(ctx: DeployContext, flowRunId: string, run: TrackedRun, pods: V1Pod[], eventsByPod: Map<string, CoreV1Event[]>): Promise<void> {
    for (const pod of pods.filter(isPending)) {
      const name = pod.metadata!.name!;
      const uid = pod.metadata?.uid;
      // A pod of the same name before this one (a re-created Job's) had its own events.
      const events = (eventsByPod.get(name) ?? []).filter((e) => uid === undefined || e.involvedObject?.uid === undefined || e.involvedObject.uid === uid);
      for (const event of events) {
        const key = event.metadata?.uid ?? `${event.reason}\u0000${event.message}`;
        if (run.events.has(key)) continue;
        run.events.add(key);
        await ctx.logRun(flowRunId, "debug", `Pod ${name}: ${event.reason ?? "Event"}: ${event.message ?? ""}`.trim(), {
          event: event.reason ?? null,
          type: event.type ?? null,
          pod: name,
        });
      }
    }
  }

  /**
   * Settles the run: when it already finished (e.g. its process ended it Failed on the SIGTERM of an
   * eviction), an ERROR line with the reasons; otherwise each container's state as an ERROR line and the
   * run failed with the reasons. `current`: the run's state, when just read.
   */
  async #fail(ctx: DeployContext, flowRunId: string, run: TrackedRun, pods: V1Pod[], failures: RunFailure[], current?: FlowRun["state"]): Promise<void> {
    run.settled = true;
    const unique = byCause(failures);
    current ??= await this.#current(ctx, flowRunId);
    const state = current?.name;
    if (state !== undefined && isFinished(state)) {
      // The run ended first: say why. After a termination every reason tells what stopped it; otherwise only
      // the reasons that stop a run from outside.
      const terminated = current?.error?.code === "TERMINATED";
      const said = terminated ? unique : unique.filter((f) => EXTERNAL_REASONS.has(f.reason));
      if (state !== "Success" && said.length > 0) {
        await ctx.logRun(
          flowRunId,
          "error",
          `Kubernetes: ${said.map((f) => f.message).join("; ")} (reason: ${said[0]!.reason}); the run had already ended ${state}`,
        );
      }
      return;
    }
    for (const pod of pods) {
      for (const line of containerStateLines(pod)) {
        if (run.stateLines.has(line)) continue;
        run.stateLines.add(line);
        await ctx.logRun(flowRunId, "error", line, { pod: pod.metadata?.name ?? null });
      }
    }
    await ctx.failRun(flowRunId, `Kubernetes: ${unique.map((f) => f.message).join("; ")} (reason: ${unique[0]!.reason})`);
  }

  /** Deletes finished Jobs (when configured) and, after a failure, every Job of the run. */
  async #cleanUp(ctx: DeployContext, flowRunId: string, run: TrackedRun, present: Map<string, V1Job>, failed: boolean): Promise<void> {
    for (const [name, tracked] of run.jobs) {
      if (tracked.deleting || !present.has(name)) continue;
      const stuck = failed && !tracked.finished;
      if (!stuck && !(tracked.finished && this.options.deleteFinishedJobs)) continue;
      tracked.deleting = true;
      try {
        await this.api.deleteJob(this.options.namespace, name, "Foreground");
        ctx.logger.debug({ flowRunId, job: name }, `deleted Kubernetes Job ${name}`);
      } catch (error) {
        tracked.deleting = false;
        ctx.logger.warn({ flowRunId, job: name, err: error }, `deleting Kubernetes Job ${name} failed: ${text(error)}`);
      }
    }
  }

  /** Stops managing; with `deleteJobs`, deletes the Jobs of the runs still managed. Every `done` resolves. */
  async close(options: { deleteJobs: boolean }): Promise<void> {
    this.#closed = true;
    const watched = this.#watched;
    this.#watched = undefined;
    await watched?.then(
      (w) => {
        w.jobs.stop();
        w.pods.stop();
      },
      () => undefined,
    );
    const events = this.#events;
    this.#events = undefined;
    (await events)?.stop();
    for (const run of this.#runs.values()) {
      if (options.deleteJobs) {
        for (const name of run.jobs.keys()) await this.api.deleteJob(this.options.namespace, name, "Foreground").catch(() => undefined);
      }
      run.done();
    }
    this.#runs.clear();
  }
}
