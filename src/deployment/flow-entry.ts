/**
 * The entry that runs one flow in a launched process without a server (`sluice execute flow`): load the
 * flow from its module, run it with its environment's `run()` (hooks and executor; LocalEnvironment when
 * it has none), and with `events` print the run's events and result as marked JSON lines on stdout for
 * the host that launched it (DockerEnvironment). SIGINT cancels the run (it ends Cancelled: what
 * DockerEnvironment sends to cancel); SIGTERM and SIGHUP (a `docker stop`, a pod deleted) stop it too but
 * end it Failed naming the signal (see termination.ts).
 */
import { randomUUID } from "node:crypto";
import type { SluiceConfig } from "../config/schema.js";
import type { EnvironmentFlow, EnvironmentRunOptions } from "../core/environment.js";
import { SluiceError, serializeError, showValue } from "../core/errors.js";
import type { RunObserver } from "../core/events.js";
import type { FlowRunResult } from "../core/flow-options.js";
import { loadFlows, pickFlow } from "../core/load.js";
import { createLogger } from "../core/logger.js";
import { makeState } from "../core/states.js";
import { eventLine, resultLine } from "./event-lines.js";
import { defaultEnvironment } from "../platforms/environment-registry.js";
import { terminatedResult, terminationObserver, terminationReason, trapRunSignals } from "./termination.js";

export interface FlowEntryOptions {
  /** The flow's module (a path in the image, or a package). */
  module: string;
  /** The flow's name; optional when the module holds one flow. */
  flow?: string;
  /** Parameters as a JSON object. @default "{}" */
  parameters?: string;
  /** Executor kind, when the environment names none. @default the flow's, else config engine.executor */
  executor?: string;
  /** Print events and the result as JSON lines on stdout. @default false */
  events?: boolean;
}

interface RunsFlows {
  run(flow: EnvironmentFlow, options?: EnvironmentRunOptions): Promise<FlowRunResult>;
}

const hasRun = (value: unknown): value is RunsFlows => typeof (value as RunsFlows | undefined)?.run === "function";

function parseParameters(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new SluiceError("INVALID_INPUT", `--parameters ${showValue(text)} is not JSON: ${(cause as Error).message}; pass an object such as '{"n": 3}'`, {
      field: "--parameters",
      cause,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SluiceError("INVALID_INPUT", `--parameters ${showValue(text)} is not a JSON object; pass an object such as '{"n": 3}'`, {
      field: "--parameters",
    });
  }
  return value as Record<string, unknown>;
}

/** Runs the entry; resolves with the exit code (0 Success, 1 otherwise). Bad input throws SluiceError. */
export async function runFlowEntry(
  options: FlowEntryOptions,
  config: SluiceConfig,
  write: (text: string) => void = (t) => void process.stdout.write(t),
): Promise<number> {
  const flowRunId = config.context.flowRunId ?? randomUUID();
  const signals = trapRunSignals({ flowRunId });
  const terminated = (): SluiceError | undefined => (signals.termination.aborted ? terminationReason(signals.termination) : undefined);
  const observers: RunObserver[] = options.events ? [terminationObserver((event) => write(`${eventLine(event)}\n`), terminated)] : [];
  let flowName = options.flow ?? "(unknown)";
  try {
    const parameters = parseParameters(options.parameters);
    const flows = await loadFlows(options.module);
    const flow = pickFlow(flows, options.flow, options.module);
    flowName = flow.name;
    const environment = hasRun(flow.environment) ? flow.environment : await defaultEnvironment();
    const ran = await environment.run(flow, {
      parameters,
      flowRunId,
      observers,
      signal: AbortSignal.any([signals.cancel, signals.termination]),
      logLevel: config.logging.level,
      executor: options.executor ?? flow.executor ?? config.engine.executor,
      // With --events the logs travel as events; stderr stays for what is not a run's log.
      ...(options.events ? { logger: createLogger({ level: "silent" }) } : {}),
    });
    const stopped = terminated();
    const result = stopped ? terminatedResult(ran, stopped) : ran;
    if (options.events) write(`${resultLine(result)}\n`);
    return result.state.name === "Success" ? 0 : 1;
  } catch (error) {
    if (options.events) {
      const message = error instanceof Error ? error.message : String(error);
      write(`${eventLine({ type: "flow-run-state", flowRunId, flowName, state: makeState("Failed", { message, error: serializeError(error) }) })}\n`);
    }
    throw error;
  } finally {
    signals.release();
  }
}
