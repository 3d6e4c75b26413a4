/**
 * `sluice execute flow-run [--stage deploy|run]`: the entry of a deployed flow run (spec §5). Reads the
 * run contract's variables (SLUICE__CONTEXT__FLOW_RUN_ID, SLUICE__API__URL, SLUICE__API__KEY, ...) through
 * the config; agents launch stage "deploy" (load the flow from storage, setup, execute); what that
 * launches (a Kubernetes Job, a cluster's scheduler, an ECS task) runs stage "run".
 * SIGTERM or SIGINT cancel the run (it ends Cancelled and everything is flushed to the server); a second
 * one exits at once. Exit codes: 0 the run succeeded or stage B was launched, 1 the run did not succeed
 * or the run is unknown, 2 bad input (no run id in the environment, an unknown stage).
 */
import { Option, type Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import { executeFlowRun, FLOW_RUN_STAGES, type FlowRunStage } from "../../reporting/flow-run-entry.js";
import { EXIT, printJson } from "../output.js";

/** Exit code after a second signal (128 + SIGTERM). */
const EXIT_FORCED = 143;

export function registerExecuteFlowRun(execute: Command): void {
  execute
    .command("flow-run")
    .description("Run the flow run named by SLUICE__CONTEXT__FLOW_RUN_ID, reporting to the server (the entry agents launch)")
    .addOption(
      new Option("--stage <stage>", '"deploy": load the flow, then environment setup and execute (stage A); "run": run it in this process (stage B)')
        .choices([...FLOW_RUN_STAGES])
        .default("deploy"),
    )
    .option("--json", "print the outcome as one JSON document")
    .action(async (options: { stage: FlowRunStage; json?: boolean }) => {
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => (): void => {
        if (++signals > 1) process.exit(EXIT_FORCED);
        controller.abort(new SluiceError("CANCELLED", `the flow run's process received ${signal}`));
      };
      const onTerm = onSignal("SIGTERM");
      const onInt = onSignal("SIGINT");
      process.on("SIGTERM", onTerm);
      process.on("SIGINT", onInt);
      try {
        const result = await executeFlowRun({ config: loadConfig(), stage: options.stage, signal: controller.signal });
        if (options.json) printJson(result);
        else process.stderr.write(`${result.message}\n`);
        process.exitCode = result.exitCode === 0 ? EXIT.ok : EXIT.failed;
      } finally {
        process.removeListener("SIGTERM", onTerm);
        process.removeListener("SIGINT", onInt);
      }
    });
}
