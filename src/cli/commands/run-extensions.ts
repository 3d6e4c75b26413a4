/**
 * Extension point of `sluice run`: other parts of Sluice (e.g. environments, with `--environment`) add
 * options to the command and, when those options are given, take over launching the run. Add one by
 * writing a RunExtension next to its feature and listing it in RUN_EXTENSIONS (run-extension-list.ts, one
 * line). This file holds only the contract, so an extension can import it without importing the list.
 */
import type { Command } from "commander";
import type { SluiceConfig } from "../../config/index.js";
import type { FlowRunOptions, FlowRunResult } from "../../core/flow-options.js";
import type { AnyFlow } from "../../core/load.js";

/** Everything `sluice run` decided before running: the flow, where it came from, and the run options. */
export interface RunPlan {
  flow: AnyFlow;
  /** The module path given on the command line, resolved (absolute path or package specifier). */
  module: string;
  /** Validated run options: parameters, executor, observers, signal, logger, log level. */
  runOptions: FlowRunOptions;
  config: SluiceConfig;
}

/** Runs a plan (here, or somewhere else that reports back) and resolves with the flow run's result. */
export type RunLauncher = (plan: RunPlan) => Promise<FlowRunResult>;

export interface RunExtension {
  /** Adds the extension's options to the `run` command. */
  addOptions(command: Command): void;
  /**
   * The launcher these parsed options ask for, or undefined to run in this process. Throw a SluiceError
   * (INVALID_INPUT / INVALID_OPTION) for bad option values: the command exits 2.
   */
  launcher?(options: Record<string, unknown>, config: SluiceConfig): RunLauncher | undefined | Promise<RunLauncher | undefined>;
}
