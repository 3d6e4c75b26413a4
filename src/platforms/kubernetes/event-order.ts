/**
 * The order in which Kubernetes events happened. Components record time differently: the scheduler's
 * events (events.k8s.io) have no `lastTimestamp`/`firstTimestamp` but a microsecond `eventTime`; the
 * kubelet's and the controllers' have whole-second `lastTimestamp`/`firstTimestamp` and no `eventTime`.
 * So each event's time is `eventTime ?? lastTimestamp ?? firstTimestamp`, compared to the second (the
 * precision they all share); within one second, the order the API server stored them in
 * (resourceVersion, then creation time) decides: a kubelet's "Pulled" at 12:00:00 comes after the
 * scheduler's "Scheduled" at 12:00:00.7, not before it.
 */
import type { CoreV1Event } from "@kubernetes/client-node";

type Time = Date | string | null | undefined;

const ms = (t: Time): number | undefined => {
  if (t === null || t === undefined) return undefined;
  const v = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(v) ? undefined : v;
};

/** When the event happened (ms since the epoch), or undefined when it carries no time. */
export function eventTimeOf(e: CoreV1Event): number | undefined {
  return ms(e.eventTime as Time) ?? ms(e.lastTimestamp) ?? ms(e.firstTimestamp) ?? ms(e.metadata?.creationTimestamp);
}

const storedOrder = (e: CoreV1Event): number => {
  const rv = Number(e.metadata?.resourceVersion);
  return Number.isFinite(rv) ? rv : Number.MAX_SAFE_INTEGER;
};

/** Compares two events by when they happened (for `Array.prototype.sort`): oldest first. */
export function byOccurrence(a: CoreV1Event, b: CoreV1Event): number {
  const second = (e: CoreV1Event) => Math.floor((eventTimeOf(e) ?? 0) / 1000);
  return second(a) - second(b) || storedOrder(a) - storedOrder(b) || (ms(a.metadata?.creationTimestamp) ?? 0) - (ms(b.metadata?.creationTimestamp) ?? 0);
}

/**
 * The part of an event the agent reads: its identity, the object it is about, what it says and its times.
 * An informer keeps a whole namespace's pod events, so it keeps only this much of each.
 */
export function eventDigest(e: CoreV1Event): CoreV1Event {
  const m = e.metadata ?? {};
  const o = e.involvedObject ?? {};
  return {
    metadata: { uid: m.uid, name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    involvedObject: { kind: o.kind, name: o.name, uid: o.uid },
    reason: e.reason,
    message: e.message,
    type: e.type,
    eventTime: e.eventTime,
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
  } as CoreV1Event;
}

/** The events by the name of the object they are about, each list in the order the events happened. */
export function eventsByObject(events: Iterable<CoreV1Event>): Map<string, CoreV1Event[]> {
  const grouped = new Map<string, CoreV1Event[]>();
  for (const e of events) {
    const name = e.involvedObject?.name;
    if (name === undefined) continue;
    const list = grouped.get(name);
    if (list) list.push(e);
    else grouped.set(name, [e]);
  }
  for (const list of grouped.values()) list.sort(byOccurrence);
  return grouped;
}
