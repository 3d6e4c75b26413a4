/**
 * The stand-in's "etcd": every object keyed by resource/namespace/name, one global resourceVersion
 * counter, and a bounded history of changes so a watch can resume from a resourceVersion (or get 410
 * Expired when it is too old, as after an etcd compaction).
 */
import { copy, type KubeObject } from "./util.js";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** One change to one object; `object` carries the resourceVersion of the change. */
export interface Change {
  type: ChangeType;
  resource: string;
  namespace: string;
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  previous?: KubeObject;
  rv: number;
}

export type ChangeListener = (change: Change) => void;

function keyOf(resource: string, namespace: string, name: string): string {
  return `${resource}\u0000${namespace}\u0000${name}`;
}

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: Change[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private rv = 100;
  /** Changes up to this resourceVersion are forgotten (compacted): a watch from before it is 410. */
  private compactedThrough = 0;

  /** @param historyLimit how many changes a watch can resume from before it gets 410 Expired. */
  constructor(private readonly historyLimit = 20_000) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const o = this.objects.get(keyOf(resource, namespace, name));
    return o && copy(o);
  }

  /** Objects of a resource (one namespace, or all when `namespace` is undefined), ordered by namespace and name. */
  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.objects.values()) {
      if (o.__resource !== resource) continue;
      if (namespace !== undefined && (o.metadata.namespace ?? "") !== namespace) continue;
      out.push(o);
    }
    out.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    return out.map(stripInternal);
  }

  /** Stores a new object or a new version (the caller checked existence and preconditions). */
  put(resource: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? "";
    const key = keyOf(resource, namespace, object.metadata.name!);
    const previous = this.objects.get(key);
    this.rv += 1;
    const stored = copy(object);
    stored.metadata.resourceVersion = String(this.rv);
    this.objects.set(key, { ...stored, __resource: resource });
    this.emit({
      type: previous ? "MODIFIED" : "ADDED",
      resource,
      namespace,
      object: copy(stored),
      previous: previous && stripInternal(previous),
      rv: this.rv,
    });
    return copy(stored);
  }

  /** Removes an object; returns what was removed (with the resourceVersion of the deletion), if any. */
  remove(resource: string, namespace: string, name: string): KubeObject | undefined {
    const key = keyOf(resource, namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.objects.delete(key);
    this.rv += 1;
    const gone = stripInternal(previous);
    gone.metadata.resourceVersion = String(this.rv);
    this.emit({ type: "DELETED", resource, namespace, object: copy(gone), previous: stripInternal(previous), rv: this.rv });
    return gone;
  }

  /**
   * Reads, mutates and writes back an object in one step; writes only when the mutation changed it.
   * Returns the stored object, or undefined when it does not exist.
   */
  update(resource: string, namespace: string, name: string, mutate: (o: KubeObject) => void): KubeObject | undefined {
    const current = this.get(resource, namespace, name);
    if (!current) return undefined;
    const before = JSON.stringify(current);
    mutate(current);
    if (JSON.stringify(current) === before) return current;
    return this.put(resource, current);
  }

  /** Changes after `rv`, or "expired" when the history no longer reaches back that far. */
  changesSince(rv: number): Change[] | "expired" {
    if (rv < this.compactedThrough) return "expired";
    const oldest = this.history[0];
    if (oldest && rv < oldest.rv - 1 && this.history.length >= this.historyLimit) return "expired";
    return this.history.filter((c) => c.rv > rv);
  }

  /** Forgets every change so far, as an etcd compaction does: only watches from now on can resume. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.rv;
  }

  /** Calls `listener` synchronously after every change; returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (e) {
        console.error("kube stand-in: a store listener failed:", e);
      }
    }
  }
}

function sortKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

function stripInternal(o: KubeObject): KubeObject {
  const { __resource: _r, ...rest } = copy(o);
  return rest as KubeObject;
}
