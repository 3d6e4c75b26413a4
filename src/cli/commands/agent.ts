/**
 * `sluice agent start <kind> [--label l ...] [--name n] [--accept-unlabelled | --no-accept-unlabelled]
 * [--max-runs n] [the flags of the platforms' agents] [--json]`: runs an agent of `kind` (local, docker,
 * kubernetes, and whatever the agent registry lists) until SIGINT or SIGTERM. Each platform's agent
 * declares its own flags (e.g. docker: --keep-containers, --network; kubernetes: --namespace,
 * --service-account, --image-pull-secrets, --job-template, --no-delete-finished-jobs), each the override
 * of one configuration key. Flags win over the config's keys (SLUICE__AGENT__LABELS=a,b, ...). Stopping
 * the agent leaves launched runs running: they report to the server by themselves. Exit codes: 0 stopped
 * by a signal, 1 it could not start, 2 bad input.
 */
import type { Command } from "commander";
import { agentFlags, agentKinds } from "../../agents/registry.js";
import type { AgentFlag } from "../../platforms/index.js";
import { collect } from "../options.js";

interface StartOptions {
  label: string[];
  name?: string;
  acceptUnlabelled?: boolean;
  maxRuns?: string;
  json?: boolean;
  /** The platforms' agent flags, by commander's attribute name (e.g. namespace, keepContainers). */
  [flag: string]: unknown;
}

/** How commander names a flag's value: "--no-delete-finished-jobs" → deleteFinishedJobs. */
function attributeOf(flag: AgentFlag): { name: string; negated: boolean; switch: boolean } {
  const long = flag.flags.split(/[ ,|]+/).find((part) => part.startsWith("--")) ?? flag.flags;
  const negated = long.startsWith("--no-");
  const words = long.slice(negated ? 5 : 2).split("-");
  const name =
    words[0] +
    words
      .slice(1)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join("");
  return { name, negated, switch: !flag.flags.includes("<") && !flag.flags.includes("[") };
}

/** The flags as config overrides (validated by the config schema, whose errors name the key). */
export function agentOverrides(options: StartOptions): Record<string, unknown> {
  const agent: Record<string, unknown> = {};
  if (options.label.length > 0) agent.labels = options.label;
  if (options.name !== undefined) agent.name = options.name;
  if (options.acceptUnlabelled !== undefined) agent.acceptUnlabelled = options.acceptUnlabelled;
  if (options.maxRuns !== undefined) agent.maxConcurrentRuns = options.maxRuns;
  const sections: Record<string, Record<string, unknown>> = { agent };
  for (const { flag } of agentFlags()) {
    const attribute = attributeOf(flag);
    const value = options[attribute.name];
    // A switch counts only when given: true for --x, false for --no-x (commander's default is the other value).
    const given = attribute.switch ? value === !attribute.negated : value !== undefined;
    if (!given) continue;
    const [section, key] = flag.key.split(".") as [string, string];
    (sections[section] ??= {})[key] = value;
  }
  return Object.fromEntries(Object.entries(sections).filter(([name, keys]) => name === "agent" || Object.keys(keys).length > 0));
}

export function register(program: Command): void {
  const agent = program.command("agent").description("Run agents that deploy the server's flow runs");
  const start = agent
    .command("start")
    .description(`Start an agent (${agentKinds().join(", ")}); it runs until SIGINT or SIGTERM`)
    .argument("<kind>", `what the agent deploys to: ${agentKinds().join(" | ")}`)
    .option("--label <label>", "a label of the agent: it takes runs whose labels it all has (repeatable)", collect, [])
    .option("--name <name>", "the agent's name on the server (default: <kind>-<hostname>)")
    .option("--accept-unlabelled", "also take runs without labels (default: only when the agent has no labels)")
    .option("--no-accept-unlabelled", "never take runs without labels")
    .option("--max-runs <n>", "runs deployed at the same time (default: agent.maxConcurrentRuns, 10)");
  for (const { kind, flag } of agentFlags()) start.option(flag.flags, `${kind}: ${flag.description}`);
  start.option("--json", "print { agentId, name, kind, labels } as JSON once registered").action(async (kind: string, options: StartOptions) => {
    const { startAgent } = await import("../actions/agent.js");
    process.exitCode = await startAgent(kind, agentOverrides(options), options.json === true);
  });
}
