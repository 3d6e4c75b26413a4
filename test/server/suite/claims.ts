/** Agents and claims: three concurrent claimers take 100 runs exactly once; the label rule holds. */
import { it } from "node:test";
import assert from "node:assert/strict";
import type { TestServer } from "../support.js";
import { registerSampleFlow, rejection } from "../support.js";
import { agentAccepts } from "../../../src/server/index.js";
import { createClient, type FlowRun, type SluiceClient } from "../../../src/client/index.js";

/** Claims until the server has nothing left for this agent; answers what it got. */
async function drain(client: SluiceClient, agentId: string, limit: number): Promise<FlowRun[]> {
  const got: FlowRun[] = [];
  for (;;) {
    const batch = await client.claimFlowRuns({ agentId, limit });
    if (batch.length === 0) return got;
    got.push(...batch.map((c) => c.flowRun));
  }
}

export function claimTests(get: () => TestServer): void {
  it("registers agents by name (same name, same id) with acceptUnlabelled defaulting to 'has no labels'", async () => {
    const { client } = get();
    const plain = await client.registerAgent({ name: "agent-plain", kind: "local" });
    assert.equal(plain.acceptUnlabelled, true);
    const labelled = await client.registerAgent({ name: "agent-labelled", kind: "docker", labels: ["gpu", "eu", "gpu"] });
    assert.equal(labelled.acceptUnlabelled, false);
    assert.deepEqual(labelled.labels, ["eu", "gpu"]);
    const again = await client.registerAgent({ name: "agent-labelled", kind: "kubernetes", labels: ["gpu"], acceptUnlabelled: true });
    assert.equal(again.id, labelled.id);
    assert.equal(again.kind, "kubernetes");
    assert.equal(again.acceptUnlabelled, true);
    const seen = await client.agentHeartbeat(plain.id);
    assert.ok(Date.parse(seen.lastSeen) >= Date.parse(plain.lastSeen));
    assert.equal((await client.getAgent(plain.id)).name, "agent-plain");
    assert.ok((await client.listAgents()).items.some((a) => a.id === plain.id));
    assert.equal((await rejection(client.getAgent("nobody"))).status, 404);
    assert.equal((await rejection(client.claimFlowRuns({ agentId: "nobody" }))).status, 404);
  });

  it("three agents claiming concurrently over HTTP take 100 runs exactly once each, labels respected", async () => {
    const { client, server } = get();
    const gpuFlow = await registerSampleFlow(client, "race-gpu", ["gpu"]);
    const euFlow = await registerSampleFlow(client, "race-eu", ["eu", "gpu"]);
    const plainFlow = await registerSampleFlow(client, "race-plain", []);
    const created: FlowRun[] = [];
    const creations: Promise<FlowRun>[] = [];
    for (let i = 0; i < 100; i++) {
      const flowId = [gpuFlow, euFlow, plainFlow][i % 3]!.flowId;
      creations.push(client.createFlowRun({ flowId, parameters: { count: 1 } }));
    }
    created.push(...(await Promise.all(creations)));
    const future = await client.createFlowRun({
      flowId: plainFlow.flowId,
      parameters: { count: 1 },
      scheduledStart: new Date(Date.now() + 3_600_000).toISOString(),
    });

    const suffix = Math.random().toString(36).slice(2, 8);
    const agents = await Promise.all([
      client.registerAgent({ name: `race-a-${suffix}`, kind: "local", labels: ["gpu"] }),
      client.registerAgent({ name: `race-b-${suffix}`, kind: "local", labels: ["eu", "gpu", "x"], acceptUnlabelled: true }),
      client.registerAgent({ name: `race-c-${suffix}`, kind: "local" }),
    ]);
    // Three clients claiming at once: their requests overlap on the server.
    const claimers = agents.map((agent, i) => drain(createClient({ url: server.url }), agent.id, [1, 3, 5][i]!));
    const results = await Promise.all(claimers);

    const all = results.flat();
    const ids = all.map((r) => r.id);
    assert.equal(ids.length, new Set(ids).size, "no run was claimed twice");
    const createdIds = new Set(created.map((r) => r.id));
    assert.equal(ids.filter((id) => createdIds.has(id)).length, 100, "every due run was claimed");
    assert.ok(!ids.includes(future.id), "a run scheduled in the future is not claimed");
    results.forEach((runs, i) => {
      for (const run of runs) {
        assert.ok(
          agentAccepts(agents[i]!, run.labels),
          `agent ${agents[i]!.name} ${JSON.stringify(agents[i]!.labels)} may not take a run labelled ${JSON.stringify(run.labels)}`,
        );
        assert.equal(run.state.name, "Submitted");
        assert.equal(run.agentId, agents[i]!.id);
      }
    });
    assert.ok(results[0]!.length > 0 && results[1]!.length > 0 && results[2]!.length > 0, "each agent had runs it alone could take");
    const stored = await client.getFlowRun(ids[0]!);
    assert.equal(stored.state.name, "Submitted");
    assert.equal(stored.version, 2, "a claim is one version step");
  });

  it("an agent with labels and acceptUnlabelled false takes no unlabelled run", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "label-strict", []);
    const run = await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 1 } });
    const agent = await client.registerAgent({ name: `strict-${Math.random().toString(36).slice(2, 8)}`, kind: "local", labels: ["only-this"] });
    const claimed = await client.claimFlowRuns({ agentId: agent.id, limit: 100 });
    assert.ok(!claimed.some((c) => c.flowRun.id === run.id));
    assert.equal((await client.getFlowRun(run.id)).state.name, "Scheduled");
  });

  it("a claim carries the flow (environment and storage) the agent deploys", async () => {
    const { client } = get();
    const flow = await registerSampleFlow(client, "claim-payload", ["payload-label"]);
    await client.createFlowRun({ flowId: flow.flowId, parameters: { count: 2 } });
    const agent = await client.registerAgent({ name: `payload-${Math.random().toString(36).slice(2, 8)}`, kind: "docker", labels: ["payload-label"] });
    const [claimed] = await client.claimFlowRuns({ agentId: agent.id });
    assert.ok(claimed);
    assert.equal(claimed.flow.id, flow.flowId);
    assert.equal(claimed.flow.environment.type, "LocalEnvironment");
    assert.deepEqual(claimed.flowRun.parameters, { count: 2, mode: "fast" });
  });
}
