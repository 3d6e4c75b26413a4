/**
 * The entry of a deployed flow run, `sluice execute flow-run [--stage deploy|run]`:
 *
 * - stage "deploy" (stage "deploy", what agents launch): read the run id from the run contract
 *   (SLUICE__CONTEXT__FLOW_RUN_ID), fetch the run and its flow from the server, load the flow from its
 *   storage, then `environment.setup(flow)` and `environment.execute(flow)`. A LocalEnvironment runs the
 *   flow right here; other environments launch stage "run" (a Job, a cluster, a task) and this process ends.
 * - stage "run" (stage "run", the entry of what stage "deploy" launched): load the flow again the same way and call
 *   `environment.run(flow)` in this process.
 *
 * Either way the RunReporter tells the server every state and log line, heartbeats, and stops the run
 * when a cancel is requested. A missing run id or an unknown run ends the process non-zero with the
 * reason; a flow that fails to load (or an environment that fails) fails the run with the reason too.
 *
 * Cancelled or terminated (see environments/termination.ts): `signal` (SIGINT) and a cancel requested
 * through the server end the run Cancelled; `termination` (SIGTERM, SIGHUP: an eviction, a deletion,
 * docker stop) stops it the same way but ends it Failed naming the signal, unless the server holds a
 * cancel request for it (then the stop is that cancel's doing, and the run ends Cancelled).
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { createClient, type FlowRun, type SluiceClient, type TaskRun } from "../client/index.js";
import type { SluiceConfig } from "../config/schema.js";
import type { Environment, EnvironmentRunOptions } from "../core/environment.js";
import { SluiceError, showValue } from "../core/errors.js";
import type { ResumedTaskRun } from "../core/flow-options.js";
import { isFlow, type AnyFlow } from "../core/flow.js";
import { createLogger } from "../core/logger.js";
import { isFinished, makeState, type State, type StateName } from "../core/states.js";
import { defaultEnvironment } from "../platforms/environment-registry.js";
import { terminatedState, terminationObserver, terminationReason } from "./termination.js";
import { deserializeStorage } from "../storage/registry.js";
import { resultRecorded } from "./api-state.js";
import { RunReporter } from "./run-reporter.js";

/**
 * The two stages of a deployed run, named the same in the CLI flag (`--stage deploy|run`), the code and
 * the docs: "deploy" loads the flow and calls its environment's setup and execute (what agents launch);
 * "run" runs the flow in this process (what "deploy" launched elsewhere, e.g. a Job).
 */
export const FLOW_RUN_STAGES = ["deploy", "run"] as const;
export type FlowRunStage = (typeof FLOW_RUN_STAGES)[number];

/** How the run's log lines name the stages: "deploy" is stage A, "run" stage B (the only place these letters are defined). */
export const STAGE_TITLES: Readonly<Record<FlowRunStage, string>> = { deploy: "Stage A", run: "Stage B" };

export interface FlowRunEntryOptions {
  /** The loaded configuration (the run contract's variables are in it). */
  config: SluiceConfig;
  /** Which stage this process is. @default "deploy" */
  stage?: FlowRunStage;
  /** Aborting it cancels the run: it ends Cancelled (the CLI aborts it on SIGINT). @default undefined */
  signal?: AbortSignal;
  /**
   * Aborting it stops the run because its process is being stopped from outside (the CLI aborts it on
   * SIGTERM and SIGHUP, with a TERMINATED error naming the signal as reason). The run ends Failed with that
   * message, after its states and logs are flushed, unless the server holds a cancel request for the run.
   * @default undefined
   */
  termination?: AbortSignal;
  /** How long to wait for the server's answer on a cancel request when terminated. @default 1000 */
  terminationCheckMs?: number;
  /** The API client. @default createClient({ url: config.api.url, apiKey: config.api.key }), and one retrying for patientRetry(reporter.flushTimeoutMs) for the reads before the run starts */
  client?: SluiceClient;
  /** Where this process's own log lines go. @default stderr at config.logging.level */
  logger?: Logger;
}

export interface FlowRunEntryResult {
  /** 0 the run succeeded (or stage "run" was launched), 1 otherwise. */
  exitCode: number;
  flowRunId: string;
  /** The run's final state as this process saw it; undefined when stage "run" was launched or nothing ran. */
  state?: StateName;
  /** One line for humans. */
  message: string;
}

/** Every task run the server has for a flow run (all pages, in creation order). */
export async function allTaskRuns(client: SluiceClient, flowRunId: string): Promise<TaskRun[]> {
  const out: TaskRun[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTaskRuns(flowRunId, { limit: 10_000, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/** Task runs of an earlier attempt that the runner can reuse (Success with its result recorded, or Skipped). */
export function resumableTaskRuns(taskRuns: readonly TaskRun[]): ResumedTaskRun[] {
  return taskRuns
    .filter((t) => t.state.name === "Skipped" || (t.state.name === "Success" && resultRecorded(t.state)))
    .map((t) => ({ taskKey: t.taskKey, mapIndex: t.mapIndex < 0 ? null : t.mapIndex, state: t.state as State, taskRunId: t.id }));
}

/** Loads the run's flow from the storage it was registered with. */
export async function loadRegisteredFlow(client: SluiceClient, run: FlowRun): Promise<{ flow: AnyFlow; storageType: string }> {
  const registered = await client.getFlow(run.flowId);
  const storageType = registered.storage.type;
  try {
    const storage = await deserializeStorage(registered.storage);
    const flow = await storage.loadFlow(registered.name);
    if (!isFlow(flow)) throw new Error(`its loadFlow("${registered.name}") returned ${showValue(flow)}, not a flow`);
    return { flow, storageType };
  } catch (error) {
    throw new SluiceError(
      "FLOW_LOAD_FAILED",
      `flow "${registered.name}" (version ${registered.version}) could not be loaded from its ${storageType}: ${error instanceof Error ? error.message : String(error)}`,
      { flowRunId: run.id, field: "storage", cause: error },
    );
  }
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Whether the server holds a cancel request for the run; false when it does not answer within `timeoutMs`. */
async function cancelRequested(client: SluiceClient, flowRunId: string, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([
      client.getFlowRun(flowRunId).then(
        (run) => run.cancelRequested,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What stops the run besides the reporter: a cancel (`signal`), or a termination, which ends the run
 * Failed unless the server holds a cancel request (checked first, briefly).
 */
function stopControl(options: FlowRunEntryOptions, client: SluiceClient, reporter: RunReporter, flowRunId: string) {
  const stop = new AbortController();
  let terminated: SluiceError | undefined;
  let settled: Promise<void> = Promise.resolve();
  const onCancel = (): void => stop.abort(options.signal?.reason);
  const onTerminate = (): void => {
    const reason = terminationReason(options.termination!);
    settled = cancelRequested(client, flowRunId, options.terminationCheckMs ?? 1000).then((cancelled) => {
      if (stop.signal.aborted || reporter.signal.aborted) return; // already stopping for a cancel
      if (cancelled) {
        stop.abort(new SluiceError("CANCELLED", `a cancel was requested through the API; the process was then stopped (${reason.message})`, { flowRunId }));
        return;
      }
      terminated = reason;
      reporter.log("error", `The flow run's process was ${reason.message}; stopping the run, which ends Failed`);
      stop.abort(reason);
    });
  };
  if (options.signal?.aborted) onCancel();
  else options.signal?.addEventListener("abort", onCancel, { once: true });
  if (options.termination?.aborted) onTerminate();
  else options.termination?.addEventListener("abort", onTerminate, { once: true });
  return {
    signal: AbortSignal.any([reporter.signal, stop.signal]),
    terminated: (): SluiceError | undefined => terminated,
    /** Resolves once a termination was judged (so the final state says what happened). */
    settled: (): Promise<void> => settled,
    release: (): void => {
      options.signal?.removeEventListener("abort", onCancel);
      options.termination?.removeEventListener("abort", onTerminate);
    },
  };
}

/** Runs the entry; resolves with the exit code. A missing run id or unknown run throws SluiceError (exit non-zero). */
export async function executeFlowRun(options: FlowRunEntryOptions): Promise<FlowRunEntryResult> {
  const { config } = options;
  const stage = options.stage ?? "deploy";
  const logger = options.logger ?? createLogger({ level: config.logging.level, bindings: { component: "flow-run", stage } });
  const flowRunId = config.context.flowRunId;
  if (flowRunId === undefined || flowRunId.trim() === "") {
    throw new SluiceError(
      "INVALID_INPUT",
      "SLUICE__CONTEXT__FLOW_RUN_ID is not set: `sluice execute flow-run` runs a flow run the server created; agents set it (with the rest of the run contract) when they launch the run",
      { field: "context.flowRunId" },
    );
  }
  const client = options.client ?? createClient({ url: config.api.url, apiKey: config.api.key });
  // What the run reads before it starts waits out a server restart; the reporter has its own patience.
  const startClient = options.client ?? createClient({ url: config.api.url, apiKey: config.api.key, retry: patientRetry(config.reporter.flushTimeoutMs) });
  let run: FlowRun;
  try {
    run = await startClient.getFlowRun(flowRunId);
  } catch (error) {
    if (error instanceof SluiceError && error.code === "NOT_FOUND") {
      throw new SluiceError(
        "NOT_FOUND",
        `flow run ${flowRunId} does not exist on the server at ${config.api.url}; check SLUICE__CONTEXT__FLOW_RUN_ID and SLUICE__API__URL`,
        {
          field: "context.flowRunId",
          value: flowRunId,
          flowRunId,
          cause: error,
        },
      );
    }
    throw error;
  }
  if (isFinished(run.state.name)) {
    return {
      exitCode: run.state.name === "Success" ? 0 : 1,
      flowRunId,
      state: run.state.name,
      message: `flow run ${flowRunId} is already ${run.state.name}: nothing to do`,
    };
  }

  const existing = await allTaskRuns(startClient, flowRunId);
  const reporter = new RunReporter({ client, flowRunId, logging: config.logging, reporter: config.reporter, logger, knownTaskRuns: existing });
  const ids = new Map(existing.map((t) => [`${t.taskKey}\u0000${t.mapIndex}`, t.id]));
  const stop = stopControl(options, client, reporter, flowRunId);
  /** A state as it must end: Failed rather than Cancelled once the process was terminated. */
  const final = (state: State): State => {
    const terminated = stop.terminated();
    return terminated ? terminatedState(state, terminated) : state;
  };
  try {
    if (run.cancelRequested) {
      reporter.setFlowRunState(makeState("Cancelled", { message: "Cancelled before it started: a cancel was requested" }));
      return { exitCode: 1, flowRunId, state: "Cancelled", message: `flow run ${flowRunId} was cancelled before it started` };
    }
    reporter.start();
    const where = `${hostname()} (pid ${process.pid})`;
    let flow: AnyFlow;
    try {
      const loaded = await loadRegisteredFlow(startClient, run);
      flow = loaded.flow;
      reporter.log("info", `${STAGE_TITLES[stage]} of flow run ${flowRunId} on ${where}: loaded flow "${flow.name}" from its ${loaded.storageType}`, {
        pid: process.pid,
        host: hostname(),
        stage,
      });
    } catch (error) {
      reporter.fail(message(error), error);
      return { exitCode: 1, flowRunId, state: "Failed", message: message(error) };
    }

    const environment: Environment = (flow.environment as Environment | undefined) ?? (await defaultEnvironment());
    const runOptions: EnvironmentRunOptions = {
      parameters: run.parameters,
      flowRunId,
      observers: [terminationObserver(reporter.observer, stop.terminated)],
      signal: stop.signal,
      logger,
      logLevel: config.logging.level,
      executor: flow.executor ?? config.engine.executor,
      taskRunIdFor: (taskKey, mapIndex) => ids.get(`${taskKey}\u0000${mapIndex ?? -1}`),
      resume: resumableTaskRuns(existing),
    };
    try {
      if (stage === "run") {
        const result = await environment.run(flow, runOptions);
        await stop.settled();
        const state = final(result.state);
        reporter.setFlowRunState(state); // no-op when the runner already reported its final state
        return {
          exitCode: state.name === "Success" ? 0 : 1,
          flowRunId,
          state: state.name,
          message: `flow run ${flowRunId} ended ${state.name}${stop.terminated() ? `: ${state.message}` : ""}`,
        };
      }
      await environment.setup(flow, { config, flowId: run.flowId });
      const outcome = await environment.execute(flow, { ...runOptions, config, flowId: run.flowId });
      if (outcome.kind === "launched") {
        reporter.log("info", `Launched ${STAGE_TITLES.run.replace("Stage", "stage")} with ${environment.type}: ${outcome.description}`, {
          resources: outcome.resources,
        });
        return { exitCode: 0, flowRunId, message: `flow run ${flowRunId}: ${outcome.description}` };
      }
      await stop.settled();
      const state = final(outcome.result.state);
      reporter.setFlowRunState(state);
      return {
        exitCode: state.name === "Success" ? 0 : 1,
        flowRunId,
        state: state.name,
        message: `flow run ${flowRunId} ended ${state.name}${stop.terminated() ? `: ${state.message}` : ""}`,
      };
    } catch (error) {
      await stop.settled();
      const what = stage === "run" ? "running" : "setting up or executing";
      const terminated = stop.terminated();
      const text = terminated
        ? `${terminated.message} (${environment.type} was ${what} flow "${flow.name}": ${message(error)})`
        : `${environment.type} failed ${what} flow "${flow.name}": ${message(error)}`;
      reporter.fail(text, error); // ignored when the runner already reported a final state
      return { exitCode: 1, flowRunId, state: "Failed", message: text };
    }
  } finally {
    stop.release();
    await reporter.close();
  }
}

/**
 * The retries of the reads a run makes before it starts (its run, task runs and flow): a server restarting
 * while runs start (a crash, a deploy) must not fail them, so each keeps trying about as long as the
 * reporter keeps trying to flush at the end (`reporter.flushTimeoutMs`), at least the client's default 8
 * attempts, 3 s apart at most.
 */
export function patientRetry(flushTimeoutMs: number): { attempts: number; baseDelayMs: number; maxDelayMs: number } {
  const maxDelayMs = 3000;
  return { attempts: Math.max(8, Math.ceil(flushTimeoutMs / maxDelayMs) + 4), baseDelayMs: 200, maxDelayMs };
}
