/**
 * `sluice execute <entry>`: the entries that run inside deployed processes (flow images, containers,
 * Jobs, agents' child processes). One file per entry; add one by listing its register function below.
 * `flow-run` is the two-stage entry of deployed runs (deploy, then run; over the server), what agents launch.
 */
import type { Command } from "commander";
import { registerExecuteFlow } from "./execute-flow.js";
import { registerExecuteFlowRun } from "./execute-flow-run.js";
import { registerHealthCheck } from "./execute-health-check.js";

export type RegisterExecuteEntry = (execute: Command) => void;

export const EXECUTE_ENTRIES: RegisterExecuteEntry[] = [registerExecuteFlow, registerExecuteFlowRun, registerHealthCheck];

export function register(program: Command): void {
  const execute = program.command("execute").description("Entries of deployed runs (used inside images, containers and Jobs)");
  for (const entry of EXECUTE_ENTRIES) entry(execute);
}
