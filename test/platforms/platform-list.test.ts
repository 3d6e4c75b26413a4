/**
 * The platform list is what the registries, the configuration schema and `sluice agent start` are built
 * from: every platform's kinds and agent are registered, its configuration fragment is in the schema's
 * list, and its agent's flags are options of `sluice agent start`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { agentFlags, agentKinds, followedEnvironmentTypes } from "../../src/agents/registry.js";
import { configSchema } from "../../src/config/index.js";
import { PLATFORM_CONFIGS } from "../../src/platforms/config-sections.js";
import { environmentKind, environmentKinds } from "../../src/platforms/environment-registry.js";
import { PLATFORMS } from "../../src/platforms/index.js";

describe("the platform list", () => {
  it("registers every platform's environment kinds and agent", () => {
    for (const platform of PLATFORMS) {
      for (const [kind, entry] of Object.entries(platform.environments)) {
        assert.ok(environmentKinds().includes(kind), `${platform.name}: kind ${kind} is registered`);
        assert.equal(environmentKind(kind).type, entry.type);
      }
      if (platform.agent) assert.ok(agentKinds().includes(platform.agent.kind), `${platform.name}: agent ${platform.agent.kind} is registered`);
    }
  });

  it("has one platform per name, and each kind in one platform only", () => {
    assert.equal(new Set(PLATFORMS.map((p) => p.name)).size, PLATFORMS.length);
    const kinds = PLATFORMS.flatMap((p) => Object.keys(p.environments));
    assert.equal(new Set(kinds).size, kinds.length);
  });

  it("gives the configuration schema exactly the platforms' configuration fragments", () => {
    const declared = PLATFORMS.flatMap((p) => (p.config ? [p.config] : []));
    assert.deepEqual(
      new Set(PLATFORM_CONFIGS),
      new Set(declared),
      "config-sections.ts lists the fragment of every platform that declares one, and nothing else",
    );
    for (const platform of PLATFORMS) assert.ok(!platform.config || platform.config.name === platform.name, `${platform.name}: its section is named after it`);
    const parsed = configSchema().parse({}) as Record<string, unknown>;
    for (const fragment of PLATFORM_CONFIGS) assert.equal(typeof parsed[fragment.name], "object", `config.${fragment.name} exists`);
  });

  it("turns every agent flag into the override of a key of the schema", () => {
    assert.ok(agentFlags().length > 0);
    for (const { kind, flag } of agentFlags()) {
      const [section, key] = flag.key.split(".") as [string, string];
      const value = flag.flags.includes("<") ? "x" : !flag.flags.startsWith("--no-");
      const parsed = configSchema().parse({ [section]: { [key]: value } }) as unknown as Record<string, Record<string, unknown>>;
      assert.ok(key in (parsed[section] ?? {}), `${kind}: ${flag.flags} sets ${flag.key}, a key the schema keeps`);
    }
  });

  it("lets the Kubernetes agent follow every Kubernetes kind and the kinds that run in process", () => {
    const followed = followedEnvironmentTypes("kubernetes");
    for (const type of [
      "KubernetesJobEnvironment",
      "DockerOnKubernetesEnvironment",
      "KubernetesClusterEnvironment",
      "ClusterOnKubernetesEnvironment",
      "LocalEnvironment",
    ]) {
      assert.ok(followed.has(type), type);
    }
    assert.ok(!followed.has("DockerEnvironment"), "a container of the Docker engine is not a Kubernetes Job");
  });
});
