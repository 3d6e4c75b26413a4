/**
 * The command a launched Job's first container runs: Sluice's entry that loads the flow and calls its
 * environment's `run(flow)` (load the flow from its storage, then run it in this process). A pure function, so
 * manifests can be tested with plain objects.
 *
 * - For a run the server knows (stage "deploy" was `sluice execute flow-run`): `sluice execute flow-run --stage run`,
 *   which finds the run from SLUICE__CONTEXT__FLOW_RUN_ID, loads the flow from its storage, runs it and
 *   reports every state and log line to the server (stage "run").
 * - Otherwise (an environment executed directly, without a server): `sluice execute flow --module <m>
 *   --flow <name>`, which loads the flow from its module in the image and runs it.
 */

/** How the container starts Sluice's CLI: `sluice` is on the PATH of images built by DockerStorage. */
export const DEFAULT_SLUICE_COMMAND: readonly string[] = ["sluice"];

export interface FlowEntryInput {
  /** Where the flow's module is, in the image (e.g. "/opt/sluice/flows/etl-1a2b3c4d.mjs"). */
  module: string;
  /** The flow's name. */
  flowName: string;
  /** How to start the CLI in the container. @default ["sluice"] */
  sluiceCommand?: readonly string[];
  /** Parameters of the run, passed as JSON. @default undefined (none: the flow's defaults) */
  parameters?: Record<string, unknown>;
  /** Executor kind, when the environment names none. @default undefined */
  executor?: string;
  /** The run is a server's flow run: stage "run" reports to the server (module, parameters and executor come from it). @default false */
  reportsToServer?: boolean;
}

/** `command` and `args` of the container that runs the flow. */
export function flowEntry(input: FlowEntryInput): { command: string[]; args: string[] } {
  const [program, ...rest] = input.sluiceCommand ?? DEFAULT_SLUICE_COMMAND;
  if (input.reportsToServer) return { command: [program!], args: [...rest, "execute", "flow-run", "--stage", "run"] };
  const args = [...rest, "execute", "flow", "--module", input.module, "--flow", input.flowName];
  if (input.parameters !== undefined && Object.keys(input.parameters).length > 0) args.push("--parameters", JSON.stringify(input.parameters));
  if (input.executor !== undefined) args.push("--executor", input.executor);
  return { command: [program!], args };
}
