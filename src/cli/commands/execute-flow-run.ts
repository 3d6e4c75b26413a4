/**
 * `sluice execute flow-run [--stage deploy|run]`: the entry of a deployed flow run (stage deploy, then stage run). Reads the
 * run contract's variables (SLUICE__CONTEXT__FLOW_RUN_ID, SLUICE__API__URL, SLUICE__API__KEY, ...) through
 * the config; agents launch stage "deploy" (load the flow from storage, setup, execute); what that
 * launches (a Kubernetes Job, a cluster's scheduler, an ECS task) runs stage "run".
 * SIGINT cancels the run (it ends Cancelled); SIGTERM and SIGHUP, how a host stops a container or pod
 * from outside (eviction, deletion, node drain, docker stop), stop it too but end it Failed with a
 * message naming the signal; either way everything is flushed to the server first. A second signal exits
 * at once (128 + its number). Exit codes: 0 the run succeeded or stage "run" was launched, 1 the run did not
 * succeed or the run is unknown, 2 bad input (no run id in the environment, an unknown stage).
 */
import { Option, type Command } from "commander";
import type { FlowRunStage } from "../../deployment/flow-run-entry.js";

/** The stages, listed here so defining the command does not load the reporting module (checked complete below). */
const STAGES = ["deploy", "run"] as const satisfies readonly FlowRunStage[];
/** Fails to compile when FLOW_RUN_STAGES gains a stage that STAGES does not list. */
const STAGES_COMPLETE: [Exclude<FlowRunStage, (typeof STAGES)[number]>] extends [never] ? true : never = true;
void STAGES_COMPLETE;

export function registerExecuteFlowRun(execute: Command): void {
  execute
    .command("flow-run")
    .description("Run the flow run named by SLUICE__CONTEXT__FLOW_RUN_ID, reporting to the server (the entry agents launch)")
    .addOption(
      new Option("--stage <stage>", '"deploy": load the flow, then environment setup and execute; "run": run it in this process (what "deploy" launched)')
        .choices([...STAGES])
        .default("deploy"),
    )
    .option("--json", "print the outcome as one JSON document")
    .action(async (options: { stage: FlowRunStage; json?: boolean }) => {
      const { executeFlowRunEntry } = await import("../actions/execute.js");
      process.exitCode = await executeFlowRunEntry(options);
    });
}
