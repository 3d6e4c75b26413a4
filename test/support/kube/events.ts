/**
 * Records core/v1 Events about objects, as the kubelet and the controllers do, with the same
 * aggregation: an event repeated with the same reason and message bumps `count` and `lastTimestamp`.
 */
import type { ApiCore } from "./apiCore.js";
import { microTimestamp, randomHex, timestamp, type KubeObject } from "./util.js";

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  constructor(private readonly api: ApiCore, private readonly host: string) {}

  record(involved: KubeObject, type: EventType, reason: string, message: string, component: string, fieldPath?: string): void {
    const m = involved.metadata;
    const namespace = m.namespace || "default";
    const nsObj = this.api.store.get("namespaces", "", namespace);
    if (!nsObj || nsObj.metadata.deletionTimestamp) return;
    const existing = this.api.store.list("events", namespace).find((e) =>
      e.involvedObject?.uid === m.uid && e.reason === reason && e.message === message && e.type === type &&
      e.source?.component === component);
    if (existing) {
      this.api.modify("events", namespace, existing.metadata.name!, (e) => {
        e.count = (e.count ?? 1) + 1;
        e.lastTimestamp = timestamp();
      });
      return;
    }
    const now = timestamp();
    try {
      this.api.create("events", namespace, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${m.name}.${randomHex(8)}`, namespace },
        involvedObject: {
          apiVersion: involved.apiVersion, kind: involved.kind, name: m.name, namespace: m.namespace,
          uid: m.uid, resourceVersion: m.resourceVersion, ...(fieldPath ? { fieldPath } : {}),
        },
        reason,
        message,
        type,
        source: component === "kubelet" ? { component, host: this.host } : { component },
        firstTimestamp: now,
        lastTimestamp: now,
        eventTime: null,
        count: 1,
        reportingComponent: component,
        reportingInstance: component === "kubelet" ? this.host : "",
      });
    } catch (e) {
      console.error(`kube stand-in: cannot record event ${reason} (${microTimestamp()}):`, e);
    }
  }
}
