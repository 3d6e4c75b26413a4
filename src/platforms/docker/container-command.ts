/**
 * What a DockerEnvironment's container runs, as a pure function of the run (tested with plain objects):
 *
 * - a deployed run (its flow is registered: a flow id in the execute options or the configuration) runs
 *   stage "run", `sluice execute flow-run --stage run`, with the run contract: the container reports its
 *   states, logs and heartbeats to the server itself, like stage "run" on every platform;
 * - a run without a server (`sluice run --environment docker`) runs `sluice execute flow ... --events`:
 *   its events come back as marked lines on stdout to the process that started it, its only observer.
 */
import type { SluiceConfig } from "../../config/schema.js";
import { inheritedRunSettings, runContractEnv } from "../../deployment/contract.js";

export interface ContainerCommandInput {
  config: SluiceConfig;
  flowName: string;
  /** Where the flow's module is in the image. */
  module: string;
  image: string;
  flowRunId: string;
  /** The registered flow's id; set for deployed runs. @default config.context.flowId */
  flowId?: string;
  /** Parameters of a run without a server (a deployed run reads its own from the server). */
  parameters: Record<string, unknown>;
  /** An executor kind the run must use instead of the flow's own. @default undefined */
  executor?: string;
  /** The environment's variables; they win over the run contract's. */
  userEnv: Readonly<Record<string, string>>;
}

export interface ContainerCommand {
  /** True when the container reports to the server itself (stage "run"). */
  deployed: boolean;
  cmd: string[];
  env: Record<string, string>;
}

/** The command and variables of the run's container. */
export function containerCommand(input: ContainerCommandInput): ContainerCommand {
  const { config, module, image, flowRunId, executor } = input;
  const flowId = input.flowId ?? config.context.flowId;
  if (flowId !== undefined) {
    const contract = { config, flowRunId, flowId, image, flowFilePath: module, ...(executor !== undefined ? { executor } : {}) };
    return {
      deployed: true,
      cmd: ["sluice", "execute", "flow-run", "--stage", "run"],
      env: runContractEnv(contract, { ...inheritedRunSettings(config), ...input.userEnv }),
    };
  }
  const cmd = ["sluice", "execute", "flow", "--module", module, "--flow", input.flowName, "--parameters", JSON.stringify(input.parameters), "--events"];
  if (executor !== undefined) cmd.push("--executor", executor);
  return { deployed: false, cmd, env: runContractEnv({ config, flowRunId, image, flowFilePath: module }, input.userEnv) };
}
