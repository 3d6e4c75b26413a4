/**
 * The garbage collector and namespace controller: deletes dependents whose owners are gone
 * (Background), deletes dependents first and then the owner (Foreground, `foregroundDeletion`
 * finalizer, waiting on dependents with blockOwnerDeletion), and empties a terminating namespace
 * before removing it.
 */
import type { ApiCore } from "../apiCore.js";
import type { Change } from "../store.js";
import type { KubeObject } from "../util.js";

const namespacedResources = ["jobs", "pods", "services", "secrets", "configmaps", "events"];

export class GarbageCollector {
  private unsubscribe = () => {};

  constructor(private readonly api: ApiCore) {}

  start(): void {
    this.unsubscribe = this.api.store.subscribe((c) => queueMicrotask(() => this.onChange(c)));
  }

  stop(): void {
    this.unsubscribe();
  }

  private tryDelete(resource: string, namespace: string, name: string): void {
    try {
      this.api.delete(resource, namespace, name, { propagationPolicy: "Background" });
    } catch {
      // Gone already.
    }
  }

  private onChange(c: Change): void {
    const o = c.object;
    const ns = o.metadata.namespace ?? "";
    if (c.type === "DELETED" && c.resource !== "namespaces") {
      for (const d of this.api.dependentsOf(ns, o.metadata.uid!)) {
        const owners = d.object.metadata.ownerReferences ?? [];
        const alive = owners.filter((r) => r.uid !== o.metadata.uid && this.ownerExists(ns, r.uid));
        if (alive.length === 0) {
          if (!d.object.metadata.deletionTimestamp) this.tryDelete(d.resource, ns, d.object.metadata.name!);
        } else {
          this.api.modify(d.resource, ns, d.object.metadata.name!, (x) => {
            x.metadata.ownerReferences = x.metadata.ownerReferences?.filter((r) => r.uid !== o.metadata.uid);
          });
        }
      }
    }
    if (c.type !== "DELETED" && o.metadata.deletionTimestamp) {
      if (c.resource === "namespaces") this.drainNamespace(o);
      else if (o.metadata.finalizers?.includes("foregroundDeletion")) this.foreground(c.resource, o);
    }
    // A dependent went away or started terminating: its foreground-deleting owners may be done now.
    const owners = (c.previous ?? o).metadata.ownerReferences ?? [];
    for (const ref of owners) {
      const owner = this.findByUid(ns, ref.uid);
      if (owner?.object.metadata.finalizers?.includes("foregroundDeletion") && owner.object.metadata.deletionTimestamp) {
        this.foreground(owner.resource, owner.object);
      }
    }
    if (c.resource !== "namespaces" && ns) {
      const nsObj = this.api.store.get("namespaces", "", ns);
      if (nsObj?.metadata.deletionTimestamp) this.drainNamespace(nsObj);
    }
  }

  private ownerExists(namespace: string, uid: string): boolean {
    return this.findByUid(namespace, uid) !== undefined;
  }

  private findByUid(namespace: string, uid: string): { resource: string; object: KubeObject } | undefined {
    for (const resource of namespacedResources) {
      const object = this.api.store.list(resource, namespace).find((x) => x.metadata.uid === uid);
      if (object) return { resource, object };
    }
    return undefined;
  }

  private foreground(resource: string, owner: KubeObject): void {
    const ns = owner.metadata.namespace ?? "";
    const uid = owner.metadata.uid!;
    const deps = this.api.dependentsOf(ns, uid);
    for (const d of deps) if (!d.object.metadata.deletionTimestamp) this.tryDelete(d.resource, ns, d.object.metadata.name!);
    const blocking = this.api.dependentsOf(ns, uid).filter((d) => d.object.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length === 0) {
      this.api.modify(resource, ns, owner.metadata.name!, (x) => {
        x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== "foregroundDeletion");
      });
    }
  }

  private drainNamespace(nsObj: KubeObject): void {
    const name = nsObj.metadata.name!;
    let left = 0;
    for (const resource of namespacedResources) {
      for (const o of this.api.store.list(resource, name)) {
        left += 1;
        if (!o.metadata.deletionTimestamp) this.tryDelete(resource, name, o.metadata.name!);
      }
    }
    if (left === 0) {
      this.api.modify("namespaces", "", name, (x) => {
        x.spec = { ...x.spec, finalizers: [] };
      });
    }
  }
}
