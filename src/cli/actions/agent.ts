/**
 * What `sluice agent start <kind>` does (options in commands/agent.ts): registers an agent of `kind` with
 * the server and polls it until SIGINT or SIGTERM; launched runs keep running after it stops.
 */
import { Agent } from "../../agents/agent.js";
import { agentKind, followedEnvironmentTypes } from "../../agents/registry.js";
import { loadConfig } from "../../config/index.js";
import { createLogger } from "../../core/logger.js";
import { agentKindsFor } from "../../platforms/capabilities.js";
import { apiClient } from "../api.js";
import { EXIT, printJson } from "../output.js";
import { untilStopSignal } from "../stop-signal.js";

/** Starts the agent with the flags as config overrides; resolves with the exit code once a signal stopped it. */
export async function startAgent(kind: string, overrides: Record<string, unknown>, json: boolean): Promise<number> {
  const entry = agentKind(kind);
  const config = loadConfig({ overrides });
  const logger = createLogger({ level: config.logging.level, bindings: { component: "agent" } });
  const deployer = await (await entry.load())({ config, logger, followedTypes: followedEnvironmentTypes(kind), runnersOf: agentKindsFor });
  const running = new Agent({ deployer, client: apiClient(config), config, logger });
  const identity = await running.start();
  if (json) printJson({ agentId: identity.id, name: identity.name, kind: identity.kind, labels: identity.labels, server: config.api.url });
  else
    process.stdout.write(
      `Agent ${identity.name} (${identity.kind}, labels: ${identity.labels.join(", ") || "none"}) polls ${config.api.url}; stop it with Ctrl-C\n`,
    );
  await untilStopSignal();
  await running.stop({ stopRuns: false });
  return EXIT.ok;
}
