/**
 * What the Kubernetes agent does with the Jobs it and the environments created (spec §6), once per loop
 * turn: page through the Jobs labelled `sluice.io/identifier` and the pods labelled `sluice.io/flow-run-id`
 * in its namespace, and for each run:
 *
 * - pending pods' events become DEBUG log lines on the run, once each;
 * - image pull errors, OOM kills, evictions, containers that cannot be configured, a Job failed by its
 *   backoff limit or deadline, and a pod or Job deleted from under a run that had not finished fail the
 *   run with the reason (unless it already finished), after each container's state, exit code and reason
 *   went to the run's ERROR log; the run's Jobs are then deleted, so nothing keeps pulling or restarting;
 * - finished Jobs are deleted with foreground propagation (their pods first), unless turned off.
 *
 * A run stops being managed when it has no Job left (or, when finished Jobs are kept, when they all
 * finished); the deployment's `done` resolves then.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { FlowRun } from "../../client/index.js";
import type { DeployContext } from "../deployer.js";
import { isFinished, type StateName } from "../../core/states.js";
import type { KubernetesApi } from "../../environments/kubernetes/kubernetes-api.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../environments/kubernetes/names.js";
import { containerStateLines, isPending, isTerminal, jobFailure, jobOutcome, podFailure, type RunFailure } from "./pod-status.js";

interface TrackedJob {
  finished: boolean;
  /** This agent asked for its deletion. */
  deleting: boolean;
}

interface TrackedRun {
  jobs: Map<string, TrackedJob>;
  /** Pods seen, by name: whether they had ended, and their Job. */
  pods: Map<string, { terminal: boolean; job: string | undefined }>;
  /** Events already written to the run's log (by uid). */
  events: Set<string>;
  /** Container state lines already written. */
  stateLines: Set<string>;
  /** The run is finished (failed here, or seen finished): no more state checks. */
  settled: boolean;
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
}

/**
 * Failures that stop a run from outside: its process sees a SIGTERM (within the pod's grace period) and
 * may end the run Failed ("terminated by SIGTERM") before this agent sees the reason.
 */
const EXTERNAL_REASONS = new Set(["Evicted", "PodDeleted", "JobDeleted", "DeadlineExceeded"]);

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
      run = { jobs: new Map(), pods: new Map(), events: new Set(), stateLines: new Set(), settled: false, expectsJobs: true, seenJobs: new Set(), promise, done: () => resolve() };
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
    if (!run.jobs.has(jobName)) run.jobs.set(jobName, { finished: false, deleting: false });
    return run.promise;
  }

  /** One pass over every Job and pod of the namespace. */
  async turn(ctx: DeployContext): Promise<void> {
    const ns = this.options.namespace;
    const [jobs, pods] = await Promise.all([this.api.listJobs(ns, IDENTIFIER_LABEL), this.api.listPods(ns, FLOW_RUN_ID_LABEL)]);
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
    for (const id of new Set([...this.#runs.keys(), ...jobsByRun.keys()])) {
      try {
        await this.#manage(ctx, id, jobsByRun.get(id) ?? [], podsByRun.get(id) ?? []);
      } catch (error) {
        ctx.logger.warn({ flowRunId: id, err: error }, `managing the Kubernetes Jobs of flow run ${id} failed: ${text(error)}`);
      }
    }
  }

  async #manage(ctx: DeployContext, flowRunId: string, jobs: V1Job[], pods: V1Pod[]): Promise<void> {
    const run = this.#entry(flowRunId);
    // The most specific reason first: what happened to a Job or pod, then what the Job controller concluded.
    const deleted: RunFailure[] = [];
    const podFailures: RunFailure[] = [];
    const jobFailures: RunFailure[] = [];
    const present = new Map(jobs.map((j) => [j.metadata!.name!, j]));
    for (const [name, tracked] of run.jobs) {
      if (present.has(name)) continue;
      run.jobs.delete(name);
      if (!tracked.deleting && !tracked.finished) deleted.push({ reason: "JobDeleted", message: `Kubernetes Job ${name} was deleted before it finished` });
    }
    for (const [name, job] of present) {
      run.seenJobs.add(name);
      const tracked = run.jobs.get(name) ?? { finished: false, deleting: false };
      run.jobs.set(name, tracked);
      tracked.finished = jobOutcome(job) !== undefined;
      if (job.metadata?.deletionTimestamp && !tracked.deleting && !tracked.finished) {
        deleted.push({ reason: "JobDeleted", message: `Kubernetes Job ${name} was deleted before it finished` });
      }
      const failed = jobFailure(job);
      if (failed) jobFailures.push(failed);
    }
    const deletingJob = (job: string | undefined): boolean => job !== undefined && run.jobs.get(job)?.deleting === true;
    const seen = new Set<string>();
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      const job = jobOfPod(pod);
      seen.add(name);
      if (pod.metadata?.deletionTimestamp && !isTerminal(pod) && !deletingJob(job) && !run.jobs.get(job ?? "")?.finished) {
        deleted.push({ reason: "PodDeleted", message: `pod ${name} was deleted while it was running` });
      }
      const failed = podFailure(pod);
      if (failed) podFailures.push(failed);
      run.pods.set(name, { terminal: isTerminal(pod), job });
    }
    for (const [name, last] of run.pods) {
      if (seen.has(name)) continue;
      run.pods.delete(name);
      const job = last.job !== undefined ? run.jobs.get(last.job) : undefined;
      if (!last.terminal && job && !job.deleting && !job.finished) deleted.push({ reason: "PodDeleted", message: `pod ${name} was deleted while it was running` });
    }
    const failures = [...deleted, ...podFailures, ...jobFailures];

    if (!run.settled) await this.#logPendingEvents(ctx, flowRunId, run, pods);
    if (failures.length > 0 && !run.settled) await this.#fail(ctx, flowRunId, run, pods, failures);
    await this.#cleanUp(ctx, flowRunId, run, present, failures.length > 0);

    if (run.jobs.size === 0 && run.expectsJobs && !run.settled) {
      // Every Job of the run is gone (deleted from outside, maybe before this agent saw the last one). If
      // the run did not finish, nothing will finish it: fail it. If its process already ended it on the
      // SIGTERM of that deletion (TERMINATED), say on the run what Kubernetes did.
      const current = await this.#current(ctx, flowRunId);
      if (current === undefined || !isFinished(current.name) || current.error?.code === "TERMINATED") {
        await this.#fail(ctx, flowRunId, run, pods, [
          { reason: "JobDeleted", message: `the run's Kubernetes Jobs (${[...run.seenJobs].join(", ")}) are gone and the run did not finish: a Job or its pod was deleted before it finished` },
        ]);
      }
    }
    const open = [...run.jobs.values()].filter((j) => !j.finished && !j.deleting);
    if (run.jobs.size === 0 || (!this.options.deleteFinishedJobs && open.length === 0 && (run.settled || (await this.#finished(ctx, flowRunId))))) {
      for (const job of jobs) if (jobOutcome(job)) this.#settledJobs.add(job.metadata?.uid ?? "");
      this.#runs.delete(flowRunId);
      run.done();
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

  async #logPendingEvents(ctx: DeployContext, flowRunId: string, run: TrackedRun, pods: V1Pod[]): Promise<void> {
    for (const pod of pods.filter(isPending)) {
      const name = pod.metadata!.name!;
      const events = await this.api.listEventsFor(this.options.namespace, "Pod", name);
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

  async #fail(ctx: DeployContext, flowRunId: string, run: TrackedRun, pods: V1Pod[], failures: RunFailure[]): Promise<void> {
    run.settled = true;
    const unique = [...new Map(failures.map((f) => [f.message, f])).values()];
    const current = await this.#current(ctx, flowRunId);
    const state = current?.name;
    if (state !== undefined && isFinished(state)) {
      // The run ended first (e.g. its process ended it Failed on the SIGTERM of an eviction): say why. After
      // such a termination every reason tells what stopped it; otherwise only the reasons that stop a run from outside.
      const terminated = current?.error?.code === "TERMINATED";
      const said = terminated ? unique : unique.filter((f) => EXTERNAL_REASONS.has(f.reason));
      if (state !== "Success" && said.length > 0) {
        await ctx.logRun(flowRunId, "error", `Kubernetes: ${said.map((f) => f.message).join("; ")} (reason: ${said[0]!.reason}); the run had already ended ${state}`);
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
    for (const run of this.#runs.values()) {
      if (options.deleteJobs) {
        for (const name of run.jobs.keys()) await this.api.deleteJob(this.options.namespace, name, "Foreground").catch(() => undefined);
      }
      run.done();
    }
    this.#runs.clear();
  }
}
