/**
 * `sluice agent start <kind> [--label l ...] [--name n] [--accept-unlabelled | --no-accept-unlabelled]
 * [--max-runs n] [--keep-containers] [--network mode] [--namespace ns] [--service-account sa]
 * [--image-pull-secrets a,b] [--job-template file] [--no-delete-finished-jobs] [--json]`: runs an agent of `kind` (local, docker,
 * and whatever the agent registry lists) until SIGINT or SIGTERM. Flags win over the config's `agent.*`
 * keys (SLUICE__AGENT__LABELS=a,b, ...). Stopping the agent leaves launched runs running: they report to
 * the server by themselves. Exit codes: 0 stopped by a signal, 1 it could not start, 2 bad input.
 */
import type { Command } from "commander";
import { agentKinds } from "../../agents/registry.js";
import { collect } from "../options.js";

interface StartOptions {
  label: string[];
  name?: string;
  acceptUnlabelled?: boolean;
  maxRuns?: string;
  keepContainers?: boolean;
  network?: string;
  namespace?: string;
  serviceAccount?: string;
  imagePullSecrets?: string;
  jobTemplate?: string;
  deleteFinishedJobs?: boolean;
  json?: boolean;
}

/** The flags as config overrides (validated by the config schema, whose errors name the key). */
export function agentOverrides(options: StartOptions): Record<string, unknown> {
  const agent: Record<string, unknown> = {};
  if (options.label.length > 0) agent.labels = options.label;
  if (options.name !== undefined) agent.name = options.name;
  if (options.acceptUnlabelled !== undefined) agent.acceptUnlabelled = options.acceptUnlabelled;
  if (options.maxRuns !== undefined) agent.maxConcurrentRuns = options.maxRuns;
  if (options.keepContainers) agent.keepContainers = true;
  if (options.network !== undefined) agent.dockerNetwork = options.network;
  const kubernetes: Record<string, unknown> = {};
  if (options.namespace !== undefined) kubernetes.namespace = options.namespace;
  if (options.serviceAccount !== undefined) kubernetes.serviceAccountName = options.serviceAccount;
  if (options.imagePullSecrets !== undefined) kubernetes.imagePullSecrets = options.imagePullSecrets;
  if (options.jobTemplate !== undefined) kubernetes.jobTemplate = options.jobTemplate;
  if (options.deleteFinishedJobs === false) kubernetes.deleteFinishedJobs = false;
  return Object.keys(kubernetes).length > 0 ? { agent, kubernetes } : { agent };
}

export function register(program: Command): void {
  const agent = program.command("agent").description("Run agents that deploy the server's flow runs");
  agent
    .command("start")
    .description(`Start an agent (${agentKinds().join(", ")}); it runs until SIGINT or SIGTERM`)
    .argument("<kind>", `what the agent deploys to: ${agentKinds().join(" | ")}`)
    .option("--label <label>", "a label of the agent: it takes runs whose labels it all has (repeatable)", collect, [])
    .option("--name <name>", "the agent's name on the server (default: <kind>-<hostname>)")
    .option("--accept-unlabelled", "also take runs without labels (default: only when the agent has no labels)")
    .option("--no-accept-unlabelled", "never take runs without labels")
    .option("--max-runs <n>", "runs deployed at the same time (default: agent.maxConcurrentRuns, 10)")
    .option("--keep-containers", "docker: keep run containers after they exit")
    .option("--network <mode>", 'docker: network mode of run containers (default: "host")')
    .option("--namespace <ns>", 'kubernetes: namespace the agent creates and manages Jobs in (default: "default")')
    .option("--service-account <name>", "kubernetes: service account of the Jobs' pods")
    .option("--image-pull-secrets <a,b>", "kubernetes: image pull secrets of the Jobs' pods, comma-separated")
    .option("--job-template <file>", "kubernetes: a batch/v1 Job YAML the agent's Jobs start from")
    .option("--no-delete-finished-jobs", "kubernetes: keep Jobs after they finished")
    .option("--json", "print { agentId, name, kind, labels } as JSON once registered")
    .action(async (kind: string, options: StartOptions) => {
      const { startAgent } = await import("../actions/agent.js");
      process.exitCode = await startAgent(kind, agentOverrides(options), options.json === true);
    });
}
