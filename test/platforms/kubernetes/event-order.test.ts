/**
 * Events listed in the order they happened, whatever component recorded them: the scheduler's
 * (microsecond eventTime, no lastTimestamp) and the kubelet's (whole-second lastTimestamp) mixed.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CoreV1Api, type CoreV1Event } from "@kubernetes/client-node";
import { KubernetesApi } from "../../../src/platforms/kubernetes/kubernetes-api.js";
import { startKubeStandin, type KubeStandin } from "../../support/kube/index.js";

function event(name: string, reason: string, times: Partial<Pick<CoreV1Event, "eventTime" | "lastTimestamp" | "firstTimestamp">>): CoreV1Event {
  return {
    metadata: { name },
    involvedObject: { kind: "Pod", name: "p-1", namespace: "default", apiVersion: "v1" },
    reason,
    message: reason,
    type: "Normal",
    firstTimestamp: null as unknown as undefined,
    lastTimestamp: null as unknown as undefined,
    ...times,
  } as CoreV1Event;
}

describe("KubernetesApi.listEventsFor: the order events happened in", { timeout: 30_000 }, () => {
  let kube: KubeStandin;
  before(async () => {
    kube = await startKubeStandin({ runner: "process" });
  });
  after(() => kube.close());

  it("puts the scheduler's Scheduled (microseconds, no lastTimestamp) before the kubelet's Pulled of the same second", async () => {
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    // Recorded in this order, as on a cluster: scheduled at 12:00:00.7, pulled and started within that second
    // (whole seconds: 12:00:00), then a back-off a second later.
    const raw = [
      event("p-1.a", "Scheduled", { eventTime: "2026-12-07T12:00:00.700123Z" as unknown as Date }),
      event("p-1.b", "Pulled", { firstTimestamp: new Date("2026-12-07T12:00:00Z"), lastTimestamp: new Date("2026-12-07T12:00:00Z") }),
      event("p-1.c", "Started", { firstTimestamp: new Date("2026-12-07T12:00:00Z"), lastTimestamp: new Date("2026-12-07T12:00:00Z") }),
      event("p-1.d", "BackOff", { firstTimestamp: new Date("2026-12-07T12:00:01Z"), lastTimestamp: new Date("2026-12-07T12:00:01Z") }),
    ];
    for (const body of raw) {
      const res = await fetch(`${kube.url}/api/v1/namespaces/default/events`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 201, await res.text());
    }
    assert.equal((await core.listNamespacedEvent({ namespace: "default" })).items.length, 4);
    const api = await KubernetesApi.connect({ kubeconfig: kube.kubeconfigPath });
    const listed = await api.listEventsFor("default", "Pod", "p-1");
    assert.deepEqual(
      listed.map((e) => e.reason),
      ["Scheduled", "Pulled", "Started", "BackOff"],
    );
  });
});
