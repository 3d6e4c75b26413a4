/**
 * Every agent kind's deployer passes the deployer conformance suite, created the way `sluice agent start`
 * creates it (the platform's factory, with the environment types its agent follows). Nothing is launched:
 * the configuration names no reachable service.
 */
import { agentKind, agentKinds, followedEnvironmentTypes } from "../../src/agents/registry.js";
import { configSchema, type SluiceConfig } from "../../src/config/schema.js";
import { createLogger } from "../../src/core/logger.js";
import { runDeployerConformance } from "sluice/testing";

const config = (): SluiceConfig =>
  configSchema().parse({ api: { url: "http://127.0.0.1:9" }, docker: { host: "tcp://127.0.0.1:9" }, aws: { regionName: "us-east-1", subnets: "subnet-1" } });
const create = (kind: string) => async () =>
  (await agentKind(kind).load())({ config: config(), logger: createLogger({ level: "silent" }), followedTypes: followedEnvironmentTypes(kind) });

/** What each agent kind runs and refuses; a kind added to the platforms must be added here, or the last test fails. */
const KINDS: Record<string, { runs: string; needsImage?: boolean; refuses?: string }> = {
  local: { runs: "LocalEnvironment", refuses: "DockerEnvironment" },
  docker: { runs: "DockerEnvironment", needsImage: true, refuses: "KubernetesJobEnvironment" },
  kubernetes: { runs: "KubernetesJobEnvironment", needsImage: true },
  ecs: { runs: "FargateTaskEnvironment", needsImage: true, refuses: "DockerEnvironment" },
};

for (const kind of agentKinds()) {
  const expected = KINDS[kind];
  if (!expected) throw new Error(`agent kind "${kind}" has no entry in test/testing/deployers.test.ts: say what it runs and refuses there`);
  runDeployerConformance(kind, { create: create(kind), config, ...expected });
}
