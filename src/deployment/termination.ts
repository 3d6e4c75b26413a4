/**
 * Stopped from outside is not cancelled. The rule of every process that runs a flow run
 * (`sluice execute flow-run`, `sluice execute flow`):
 *
 * - a run ends **Cancelled** only when a cancel was asked for: through the server (the reporter's cancel
 *   check) or with Ctrl-C / SIGINT (what DockerEnvironment sends its container to cancel a run);
 * - **SIGTERM** and **SIGHUP** come from the host: a pod evicted or deleted (with its grace period), a node
 *   drained, `docker stop`, an agent stopping its runs. The run stops the same way (running tasks see
 *   their signal aborted), but it ends **Failed** with a message naming the signal, after its states and
 *   logs were flushed, so nobody mistakes an eviction for a user's cancel.
 *
 * The flow runner knows only "stop": it ends what it stopped Cancelled. The entries rewrite those states
 * (of the flow run and its task runs) with `terminatedState` once their process was terminated.
 */
import { SluiceError, serializeError } from "../core/errors.js";
import type { RunObserver } from "../core/events.js";
import type { FlowRunResult } from "../core/flow-options.js";
import { makeState, type State } from "../core/states.js";

/** Signals with which a host stops a run's process from outside. */
export const TERMINATION_SIGNALS = ["SIGTERM", "SIGHUP"] as const;
export type TerminationSignal = (typeof TERMINATION_SIGNALS)[number];

/** The signal that cancels a run (Ctrl-C). */
export const CANCEL_SIGNAL = "SIGINT";

/** The error a run ends Failed with when its process received `signal`. */
export function terminationError(signal: string, flowRunId?: string): SluiceError {
  return new SluiceError(
    "TERMINATED",
    `terminated by ${signal}: the container/pod was stopped from outside (eviction, deletion, node drain, docker stop)`,
    flowRunId === undefined ? {} : { flowRunId },
  );
}

/** `state`, or Failed with `error` in place of a Cancelled state (the runner's word for "stopped"). */
export function terminatedState(state: State, error: SluiceError): State {
  if (state.name !== "Cancelled") return state;
  const { name: _name, message: _message, error: _error, timestamp, ...rest } = state;
  return makeState("Failed", { ...rest, timestamp, message: error.message, error: serializeError(error) });
}

/** An observer that sees Failed (with the termination error) where `observer` would see Cancelled, once `terminated()` has one. */
export function terminationObserver(observer: RunObserver, terminated: () => SluiceError | undefined): RunObserver {
  return (event) => {
    const error = terminated();
    if (!error || (event.type !== "flow-run-state" && event.type !== "task-run-state")) return observer(event);
    observer({ ...event, state: terminatedState(event.state, error) });
  };
}

/** `result` with its Cancelled states (the flow run's and its task runs') as Failed with `error`. */
export function terminatedResult<R>(result: FlowRunResult<R>, error: SluiceError): FlowRunResult<R> {
  const taskRuns = result.taskRuns.map((t) => ({ ...t, state: terminatedState(t.state, error) }));
  return {
    ...result,
    state: terminatedState(result.state, error),
    taskRuns,
    taskRun(node, mapIndex = null) {
      const found = result.taskRun(node, mapIndex);
      return found && { ...found, state: terminatedState(found.state, error) };
    },
  };
}

/** What a process that runs a flow run learns from its signals. */
export interface RunSignals {
  /** Aborted by SIGINT: cancel the run (it ends Cancelled). */
  readonly cancel: AbortSignal;
  /** Aborted by SIGTERM or SIGHUP: the process is being stopped from outside; the reason is the TERMINATED error. */
  readonly termination: AbortSignal;
  /** Stops listening. */
  release(): void;
}

/**
 * Listens for SIGINT (cancel), SIGTERM and SIGHUP (terminate) in this process. A second signal of any
 * kind calls `onSecond` (the CLI exits at once with 128 + the signal's number).
 */
export function trapRunSignals(options: { flowRunId?: string; onSecond?: (signal: NodeJS.Signals) => void } = {}): RunSignals {
  const cancel = new AbortController();
  const termination = new AbortController();
  let received = 0;
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of [CANCEL_SIGNAL, ...TERMINATION_SIGNALS] as NodeJS.Signals[]) {
    const handler = (): void => {
      if (++received > 1) return options.onSecond?.(signal);
      if (signal === CANCEL_SIGNAL)
        cancel.abort(
          new SluiceError("CANCELLED", `the flow run was cancelled by ${signal}`, options.flowRunId === undefined ? {} : { flowRunId: options.flowRunId }),
        );
      else termination.abort(terminationError(signal, options.flowRunId));
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return {
    cancel: cancel.signal,
    termination: termination.signal,
    release: () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    },
  };
}

/** The termination error carried by an aborted termination signal. */
export function terminationReason(signal: AbortSignal): SluiceError {
  const reason: unknown = signal.reason;
  return reason instanceof SluiceError && reason.code === "TERMINATED" ? reason : terminationError("SIGTERM");
}
