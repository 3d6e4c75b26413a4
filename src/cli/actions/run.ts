/**
 * What `sluice run <file>` does (its options are defined in commands/run.ts, which imports this module
 * only when the command runs).
 *
 * Loads the module (TypeScript directly), picks the flow, validates the parameters, runs the flow in this
 * process and shows it: a live display in a terminal, plain log lines otherwise, or one JSON document with
 * --json. Exit codes: 0 the run succeeded, 1 it failed, 2 bad input (module, flow, parameters, options),
 * 130 cancelled by Ctrl-C (143 by SIGTERM). The first Ctrl-C cancels the run gracefully (running tasks see
 * their signal aborted and end Cancelled); a second one exits at once.
 */
import { loadConfig, type SluiceConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import type { RunObserver } from "../../core/events.js";
import type { Executor } from "../../core/executor.js";
import type { FlowRunOptions, FlowRunResult } from "../../core/flow-options.js";
import { loadFlows, pickFlow, resolveModule } from "../../core/load.js";
import { createLogger } from "../../core/logger.js";
import { resolveExecutor } from "../../core/resolve-executor.js";
// Installs the executor kinds (local, concurrent, workers, distributed) even when the flow module does not import "sluice".
import "../../executors/registry.js";
import { RUN_EXTENSIONS } from "../commands/run-extension-list.js";
import type { RunLauncher, RunPlan } from "../commands/run-extensions.js";
import { LiveDisplay } from "../display/live.js";
import { plainLines } from "../display/plain.js";
import { RunProgress } from "../display/progress.js";
import { renderSummary, valueLine } from "../display/render.js";
import { buildRunReport } from "../display/report.js";
import { EXIT, isInteractive, printJson } from "../output.js";
import { collectParameters } from "../params.js";

/** The options of `sluice run`, as commander parses them; run extensions add their own keys. */
export interface RunCommandOptions {
  flow?: string;
  param?: string[];
  paramsFile?: string;
  executor?: string;
  json?: boolean;
  [extension: string]: unknown;
}

/** Exit codes of a run stopped by a signal (128 + the signal's number). */
export const EXIT_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const;

/** After a signal, the command exits this long after the run ended even if a task that ignored cancellation still holds the process. */
const EXIT_AFTER_CANCEL_MS = 500;

/** Chooses the executor: --executor, else the flow's own, else the configured default. Unknown kinds are bad input naming --executor. */
async function chooseExecutor(kind: string | undefined, flowExecutor: Executor | string | undefined, config: SluiceConfig): Promise<Executor> {
  const spec = kind ?? flowExecutor ?? config.engine.executor;
  try {
    return await resolveExecutor(spec, kind !== undefined ? "--executor" : "executor");
  } catch (error) {
    if (kind !== undefined && error instanceof SluiceError) {
      throw new SluiceError("INVALID_INPUT", `--executor ${kind}: ${error.message}`, { field: "--executor", value: kind, cause: error });
    }
    throw error;
  }
}

/** Ctrl-C and SIGTERM: the first cancels the run, a second one exits at once. */
function trapSignals(controller: AbortController): { received: () => keyof typeof EXIT_SIGNAL | null; release: () => void } {
  let received: keyof typeof EXIT_SIGNAL | null = null;
  const handler = (signal: keyof typeof EXIT_SIGNAL) => (): void => {
    if (received === null) {
      received = signal;
      process.stderr.write(`\n${signal}: cancelling the flow run; running tasks are asked to stop (press Ctrl-C again to exit at once)\n`);
      controller.abort(new SluiceError("CANCELLED", `the flow run was cancelled by ${signal}`));
      return;
    }
    process.stderr.write(`\n${signal} again: exiting without waiting for the run to finish\n`);
    process.exit(EXIT_SIGNAL[signal]);
  };
  const onInt = handler("SIGINT");
  const onTerm = handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    received: () => received,
    release: () => {
      process.removeListener("SIGINT", onInt);
      process.removeListener("SIGTERM", onTerm);
    },
  };
}

/** What the run shows while it runs, and how it ends. */
interface Presenter {
  observers: RunObserver[];
  start(): void;
  finish(result: FlowRunResult, durationMs: number): void;
  /** The run threw instead of ending: clean up what start() drew. */
  abandon(): void;
}

function presenterFor(
  options: RunCommandOptions,
  progress: RunProgress,
  plan: Omit<RunPlan, "runOptions">,
  executor: Executor,
  parameters: Record<string, unknown>,
): Presenter {
  const collectProgress: RunObserver = (event) => void progress.apply(event);
  if (options.json) {
    return {
      observers: [collectProgress],
      start: () => undefined,
      finish: (result, durationMs) => printJson(buildRunReport(result, progress, { module: plan.module, executor: executor.kind, parameters, durationMs })),
      abandon: () => undefined,
    };
  }
  if (isInteractive(process.stdout)) {
    const live = new LiveDisplay(progress, { stream: process.stdout });
    return {
      observers: [live.observer],
      start: () => live.start(),
      finish: (result) =>
        live.stop(
          true,
          [valueLine(result.value)].filter((l) => l !== null),
        ),
      abandon: () => live.stop(false),
    };
  }
  const write = (lines: string[]): void => {
    if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
  };
  return {
    observers: [(event) => write(plainLines(progress, event))],
    start: () => undefined,
    finish: (result) => write([...renderSummary(progress), valueLine(result.value)].filter((l) => l !== null)),
    abandon: () => undefined,
  };
}

/** Runs `sluice run`; resolves with the exit code. Bad input throws SluiceError (main turns it into exit 2). */
export async function runCommand(file: string, options: RunCommandOptions): Promise<number> {
  const config = loadConfig();
  const resolved = resolveModule(file);
  const module = resolved.kind === "file" ? resolved.path : resolved.specifier;
  const flow = pickFlow(await loadFlows(file), options.flow, module);
  flow.validate();
  const parameters = flow.validateParameters(await collectParameters(options));
  const executor = await chooseExecutor(options.executor, flow.executor, config);
  let launcher: RunLauncher | undefined;
  for (const extension of RUN_EXTENSIONS) {
    launcher = await extension.launcher?.(options, config);
    if (launcher) break;
  }

  const progress = new RunProgress(flow.name, flow.taskKeys().length);
  const presenter = presenterFor(options, progress, { flow, module, config }, executor, parameters);
  const controller = new AbortController();
  const runOptions: FlowRunOptions = {
    parameters,
    executor,
    signal: controller.signal,
    observers: presenter.observers,
    logLevel: config.logging.level,
    // The display shows task logs; with --json they go to stderr as JSON lines.
    ...(options.json ? {} : { logger: createLogger({ level: "silent" }) }),
  };
  const plan: RunPlan = { flow, module, runOptions, config };
  const signals = trapSignals(controller);
  const started = performance.now();
  presenter.start();
  let result: FlowRunResult | undefined;
  try {
    result = await (launcher ?? ((p: RunPlan) => p.flow.run(p.runOptions)))(plan);
  } finally {
    signals.release();
    if (!result) presenter.abandon();
  }
  presenter.finish(result, performance.now() - started);
  const signal = signals.received();
  if (signal !== null) {
    setTimeout(() => process.exit(EXIT_SIGNAL[signal]), EXIT_AFTER_CANCEL_MS).unref();
    return EXIT_SIGNAL[signal];
  }
  return result.state.name === "Success" ? EXIT.ok : EXIT.failed;
}
