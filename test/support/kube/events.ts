/**
 * Records core/v1 Events about objects the way each real component does:
 * - the kubelet and the controllers use the legacy recorder: second-precision `firstTimestamp` and
 *   `lastTimestamp`, `eventTime: null`, `source.component`, and the same aggregation (an event repeated
 *   with the same reason and message bumps `count` and `lastTimestamp`);
 * - the scheduler uses the events.k8s.io recorder, which core/v1 shows with `firstTimestamp` and
 *   `lastTimestamp` null, a microsecond `eventTime`, an empty `source`, `action` and
 *   `reportingComponent`/`reportingInstance` set. So an event list ordered by `lastTimestamp` alone misplaces
 *   the scheduler's events, and second precision can put a kubelet event before the scheduling it follows.
 */
import type { ApiCore } from "./apiCore.js";
import { microTimestamp, randomHex, timestamp, type KubeObject } from "./util.js";

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  constructor(
    private readonly api: ApiCore,
    private readonly host: string,
  ) {}

  record(involved: KubeObject, type: EventType, reason: string, message: string, component: string, fieldPath?: string): void {
    const m = involved.metadata;
    const namespace = m.namespace || "default";
    const nsObj = this.api.store.get("namespaces", "", namespace);
    if (!nsObj || nsObj.metadata.deletionTimestamp) return;
    if (component === "default-scheduler") {
      this.recordScheduler(involved, type, reason, message);
      return;
    }
    const existing = this.api.store
      .list("events", namespace)
      .find((e) => e.involvedObject?.uid === m.uid && e.reason === reason && e.message === message && e.type === type && e.source?.component === component);
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
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
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

  /** An event of the scheduler (`Scheduled`: action Binding; `FailedScheduling`: action Scheduling). */
  private recordScheduler(involved: KubeObject, type: EventType, reason: string, message: string): void {
    const m = involved.metadata;
    const namespace = m.namespace || "default";
    try {
      this.api.create("events", namespace, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${m.name}.${randomHex(8)}`, namespace },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: m.name,
          namespace: m.namespace,
          uid: m.uid,
          resourceVersion: m.resourceVersion,
        },
        reason,
        message,
        type,
        source: {},
        firstTimestamp: null,
        lastTimestamp: null,
        eventTime: microTimestamp(),
        action: reason === "Scheduled" ? "Binding" : "Scheduling",
        reportingComponent: "default-scheduler",
        reportingInstance: `default-scheduler-${this.host}`,
      });
    } catch (e) {
      console.error(`kube stand-in: cannot record event ${reason}:`, e);
    }
  }
}
