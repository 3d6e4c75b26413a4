/**
 * The API server's storage semantics, independent of HTTP: create / get / list / update / patch /
 * delete with defaulting, validation, resourceVersion preconditions, finalizers and deletion
 * propagation. The HTTP router and the in-process controllers (job controller, kubelet, garbage
 * collector) both go through it, so controller writes are defaulted and validated like client writes.
 */
import { applyDefaults, applyWriteDefaults, defaultPodSpec } from "./defaults.js";
import { applyPatch, type PatchType } from "./patch.js";
import { apiVersionOf, resourceByName, type ResourceDef } from "./resources.js";
import { alreadyExists, badRequest, conflict, fieldErrorBody, invalid, modifiedConflictText, notFound, StatusError, type FieldError } from "./status.js";
import type { ObjectStore } from "./store.js";
import { copy, generateName, isRecord, newUid, timestamp, type KubeObject } from "./util.js";
import { checkSchema } from "./validation/schema.js";
import { checkObject, checkUpdate } from "./validation/objects.js";

export type PropagationPolicy = "Foreground" | "Background" | "Orphan";

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as deleted, or with `deletionTimestamp` set when its removal waits (finalizers, grace). */
  object: KubeObject;
  deletedNow: boolean;
  /** A `Warning` header the server sends with the answer. */
  warning?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: "status";
}

const jobOrphanWarning =
  "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning";

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.type}\u0000${e.field}\u0000${fieldErrorBody(e)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export class ApiCore {
  constructor(
    readonly store: ObjectStore,
    private readonly options: { autoCreateNamespaces: boolean },
  ) {}

  /** Throws 404 (or creates the namespace when configured) unless `namespace` exists and is active. */
  requireNamespace(namespace: string, forCreate: boolean): void {
    const ns = this.store.get("namespaces", "", namespace);
    if (!ns) {
      if (forCreate && this.options.autoCreateNamespaces) {
        this.create("namespaces", "", { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } });
        return;
      }
      throw notFound("namespaces", "", namespace);
    }
    if (forCreate && ns.metadata.deletionTimestamp) {
      throw new StatusError(403, "Forbidden", `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: "namespaces",
      });
    }
  }

  get(resource: string, namespace: string, name: string): KubeObject {
    const def = resourceByName(resource);
    const o = this.store.get(resource, def.namespaced ? namespace : "", name);
    if (!o) throw notFound(resource, def.group, name);
    return o;
  }

  private checkBody(def: ResourceDef, body: unknown, namespace: string): KubeObject {
    if (!isRecord(body)) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: the body is not a JSON object`);
    const o = copy(body) as KubeObject;
    const expected = apiVersionOf(def);
    if (o.apiVersion !== undefined && o.apiVersion !== expected) {
      throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${expected})`);
    }
    if (o.kind !== undefined && o.kind !== def.kind) {
      throw badRequest(
        `${String(o.kind)} in version "${def.version}" cannot be handled as a ${def.kind}: the kind in the data (${String(o.kind)}) does not match the expected kind (${def.kind})`,
      );
    }
    o.apiVersion = expected;
    o.kind = def.kind;
    if (o.metadata === undefined || o.metadata === null) o.metadata = {};
    if (!isRecord(o.metadata)) throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: metadata must be an object`);
    if (def.namespaced) {
      if (o.metadata.namespace && o.metadata.namespace !== namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      o.metadata.namespace = namespace;
    } else {
      delete o.metadata.namespace;
    }
    const schema = checkSchema(def.resource, def.kind, o);
    if (schema.decodeErrors.length) throw badRequest(schema.decodeErrors[0]!);
    o.__schemaErrors = schema.fieldErrors;
    return o;
  }

  private takeSchemaErrors(o: KubeObject): FieldError[] {
    const errors = (o.__schemaErrors ?? []) as FieldError[];
    delete o.__schemaErrors;
    return errors;
  }

  create(resource: string, namespace: string, body: unknown, opts: WriteOptions = {}): KubeObject {
    const def = resourceByName(resource);
    const ns = def.namespaced ? namespace : "";
    const o = this.checkBody(def, body, ns);
    if (def.namespaced) this.requireNamespace(ns, true);
    const m = o.metadata;
    if (m.resourceVersion) throw badRequest("resourceVersion should not be set on objects to be created");
    if (!m.name && m.generateName) {
      do m.name = generateName(m.generateName);
      while (this.store.get(resource, ns, m.name));
    }
    for (const k of ["deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "managedFields"]) delete m[k];
    m.uid = newUid();
    m.creationTimestamp = timestamp();
    m.generation = 1;
    applyWriteDefaults(resource, o);
    applyDefaults(resource, o);
    const errors = dedupe([...this.takeSchemaErrors(o), ...checkObject(resource, o)]);
    if (errors.length) throw invalid(def.kind, def.group, m.name ?? m.generateName ?? "", errors);
    if (this.store.get(resource, ns, m.name!)) throw alreadyExists(resource, def.group, m.name!);
    if (opts.dryRun) return o;
    return this.store.put(resource, o);
  }

  update(resource: string, namespace: string, name: string, body: unknown, opts: WriteOptions = {}): KubeObject {
    const def = resourceByName(resource);
    const ns = def.namespaced ? namespace : "";
    const current = this.get(resource, ns, name);
    const o = this.checkBody(def, body, ns);
    if (o.metadata.name && o.metadata.name !== name) {
      throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (o.metadata.resourceVersion && o.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(resource, def.group, name, modifiedConflictText);
    }
    const schemaErrors = this.takeSchemaErrors(o);
    let next: KubeObject;
    if (opts.subresource === "status") {
      next = { ...current, status: o.status };
    } else {
      next = o;
      next.metadata = {
        ...o.metadata,
        name,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        generation: current.metadata.generation,
        deletionTimestamp: current.metadata.deletionTimestamp,
        deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
      };
      for (const k of ["deletionTimestamp", "deletionGracePeriodSeconds"]) if (next.metadata[k] === undefined) delete next.metadata[k];
      if ("status" in current) next.status = current.status;
      applyWriteDefaults(resource, next);
      if (resource === "jobs") defaultPodSpec(next.spec?.template?.spec);
      if (resource === "pods") defaultPodSpec(next.spec);
      if (JSON.stringify(current.spec) !== JSON.stringify(next.spec)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    const errors = dedupe([...schemaErrors, ...checkUpdate(resource, current, next)]);
    if (errors.length) throw invalid(def.kind, def.group, name, errors);
    if (opts.dryRun) return next;
    return this.write(resource, next);
  }

  patch(resource: string, namespace: string, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): KubeObject {
    const def = resourceByName(resource);
    const current = this.get(resource, def.namespaced ? namespace : "", name);
    const patched = applyPatch(type, current, patch);
    if (!isRecord(patched)) throw badRequest("the patch result is not an object");
    const rv = (patched as KubeObject).metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) throw conflict(resource, def.group, name, modifiedConflictText);
    return this.update(resource, namespace, name, patched, opts);
  }

  /** Writes an object; an object being deleted whose finalizers are all gone is removed instead. */
  private write(resource: string, o: KubeObject): KubeObject {
    const m = o.metadata;
    const waitsForKubelet = resource === "pods" && m.deletionGracePeriodSeconds !== 0;
    const waitsForContent = resource === "namespaces" && (o.spec?.finalizers?.length ?? 0) > 0;
    if (m.deletionTimestamp && !m.finalizers?.length && !waitsForKubelet && !waitsForContent) {
      this.store.put(resource, o);
      return this.store.remove(resource, m.namespace ?? "", m.name!) ?? o;
    }
    return this.store.put(resource, o);
  }

  /**
   * Trusted in-process change (controllers: status, finalizers, ownerReferences): no validation.
   * Returns the new object, or undefined when it no longer exists.
   */
  modify(resource: string, namespace: string, name: string, mutate: (o: KubeObject) => void): KubeObject | undefined {
    const current = this.store.get(resource, namespace, name);
    if (!current) return undefined;
    const before = JSON.stringify(current);
    mutate(current);
    if (JSON.stringify(current) === before) return current;
    return this.write(resource, current);
  }

  delete(resource: string, namespace: string, name: string, opts: DeleteOptions = {}): DeleteResult {
    const def = resourceByName(resource);
    const ns = def.namespaced ? namespace : "";
    const current = this.get(resource, ns, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(resource, def.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        resource,
        def.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    let warning: string | undefined;
    let policy = opts.propagationPolicy;
    if (!policy && opts.orphanDependents !== undefined) policy = opts.orphanDependents ? "Orphan" : "Background";
    if (!policy) {
      policy = resource === "jobs" ? "Orphan" : "Background";
      if (resource === "jobs") warning = jobOrphanWarning;
    }
    if (opts.dryRun) return { object: current, deletedNow: false, warning };
    const m = current.metadata;
    const grace = opts.gracePeriodSeconds ?? (resource === "pods" ? (current.spec?.terminationGracePeriodSeconds ?? 30) : 0);
    if (m.deletionTimestamp) {
      if (resource === "pods" && grace === 0) {
        const o = this.modify(resource, ns, name, (x) => {
          x.metadata.deletionGracePeriodSeconds = 0;
        });
        return { object: o ?? current, deletedNow: !this.store.get(resource, ns, name), warning };
      }
      return { object: current, deletedNow: false, warning };
    }
    if (policy === "Orphan") this.orphanDependents(ns, m.uid!);
    const finalizers = [...(m.finalizers ?? [])];
    if (policy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion");
    const graceful = resource === "pods" && grace > 0;
    if (finalizers.length || graceful || resource === "namespaces") {
      const o = this.modify(resource, ns, name, (x) => {
        x.metadata.deletionTimestamp = timestamp(Date.now() + grace * 1000);
        if (resource === "pods") x.metadata.deletionGracePeriodSeconds = grace;
        x.metadata.finalizers = finalizers;
        if (resource === "namespaces") x.status = { ...x.status, phase: "Terminating" };
      });
      return { object: o ?? current, deletedNow: !this.store.get(resource, ns, name), warning };
    }
    const gone = this.store.remove(resource, ns, name) ?? current;
    return { object: gone, deletedNow: true, warning };
  }

  /** Removes ownerReferences to `ownerUid` from every object of the namespace (Orphan propagation). */
  orphanDependents(namespace: string, ownerUid: string): void {
    for (const d of this.dependentsOf(namespace, ownerUid)) {
      this.modify(d.resource, namespace, d.object.metadata.name!, (x) => {
        x.metadata.ownerReferences = (x.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
        if (x.metadata.ownerReferences.length === 0) delete x.metadata.ownerReferences;
      });
    }
  }

  /** Objects of the namespace that name `ownerUid` in their ownerReferences. */
  dependentsOf(namespace: string, ownerUid: string): { resource: string; object: KubeObject }[] {
    const out: { resource: string; object: KubeObject }[] = [];
    for (const resource of ["pods", "jobs", "secrets", "configmaps", "services", "events"]) {
      for (const o of this.store.list(resource, namespace)) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === ownerUid)) out.push({ resource, object: o });
      }
    }
    return out;
  }
}
