/**
 * Events in the order they happened, whatever component recorded them: the scheduler's (microsecond
 * eventTime, no lastTimestamp) and the kubelet's (whole-second lastTimestamp) mixed, as the agent's
 * informer of the pods' events receives them (a watch: timestamps as strings) and as a list gives them
 * (the typed client: Dates).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CoreV1Api, type CoreV1Event } from "@kubernetes/client-node";
import { KubernetesApi } from "../../../src/platforms/kubernetes/kubernetes-api.js";
import { Informer } from "../../../src/platforms/kubernetes/informer.js";
import { eventDigest, eventsByObject } from "../../../src/platforms/kubernetes/event-order.js";
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

describe("the pods' events as the agent reads them: the order they happened in", { timeout: 30_000 }, () => {
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
    const listed = await core.listNamespacedEvent({ namespace: "default" });
    assert.deepEqual(
      eventsByObject(listed.items.map(eventDigest))
        .get("p-1")
        ?.map((e) => e.reason),
      ["Scheduled", "Pulled", "Started", "BackOff"],
      "from a list (Dates)",
    );
    const api = await KubernetesApi.connect({ kubeconfig: kube.kubeconfigPath });
    const informer = new Informer(api.eventsSource("default", "Pod"), { transform: eventDigest });
    await informer.start();
    try {
      // Events that come by the watch (timestamps as strings), one of them about a Job (not a pod's).
      const watched = [
        event("p-2.a", "Scheduled", { eventTime: "2026-12-07T12:00:05.900001Z" as unknown as Date }),
        event("p-2.b", "Pulled", { lastTimestamp: new Date("2026-12-07T12:00:05Z") }),
      ];
      for (const e of watched) e.involvedObject.name = "p-2";
      const ofJob = event("j-1.a", "SuccessfulCreate", { lastTimestamp: new Date("2026-12-07T12:00:05Z") });
      ofJob.involvedObject = { kind: "Job", name: "j-1", namespace: "default", apiVersion: "batch/v1" };
      for (const body of [...watched, ofJob]) {
        const res = await fetch(`${kube.url}/api/v1/namespaces/default/events`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        assert.equal(res.status, 201, await res.text());
      }
      await kube.waitFor(() => informer.list().length === 6, 10_000);
      const byPod = eventsByObject(informer.list());
      assert.deepEqual(
        byPod.get("p-1")?.map((e) => e.reason),
        ["Scheduled", "Pulled", "Started", "BackOff"],
      );
      assert.deepEqual(
        byPod.get("p-2")?.map((e) => e.reason),
        ["Scheduled", "Pulled"],
      );
      assert.equal(byPod.has("j-1"), false, "only the pods' events are watched");
      assert.deepEqual(Object.keys(informer.list()[0]!).sort(), [
        "eventTime",
        "firstTimestamp",
        "involvedObject",
        "lastTimestamp",
        "message",
        "metadata",
        "reason",
        "type",
      ]);
    } finally {
      informer.stop();
    }
  });
});
