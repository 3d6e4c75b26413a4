/**
 * The resources the stand-in serves: where they live in the REST tree, their kinds, verbs, subresources
 * and supported field selectors. Discovery documents are built from this table.
 */
import type { KubeObject } from "./util.js";

export interface ResourceDef {
  /** Plural name used in paths, e.g. `jobs`. */
  resource: string;
  singular: string;
  kind: string;
  /** API group; "" for the core group. */
  group: string;
  version: string;
  namespaced: boolean;
  shortNames?: string[];
  subresources: string[];
  /** Field selector values of an object, by field path. */
  fields: (o: KubeObject) => Record<string, string>;
}

const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function baseFields(o: KubeObject): Record<string, string> {
  return { "metadata.name": o.metadata.name ?? "", "metadata.namespace": o.metadata.namespace ?? "" };
}

export const resourceDefs: readonly ResourceDef[] = [
  {
    resource: "jobs",
    singular: "job",
    kind: "Job",
    group: "batch",
    version: "v1",
    namespaced: true,
    subresources: ["status"],
    fields: (o) => ({ ...baseFields(o), "status.successful": String(o.status?.succeeded ?? 0) }),
  },
  {
    resource: "pods",
    singular: "pod",
    kind: "Pod",
    group: "",
    version: "v1",
    namespaced: true,
    shortNames: ["po"],
    subresources: ["status", "log"],
    fields: (o) => ({
      ...baseFields(o),
      "spec.nodeName": o.spec?.nodeName ?? "",
      "spec.restartPolicy": o.spec?.restartPolicy ?? "",
      "spec.schedulerName": o.spec?.schedulerName ?? "",
      "spec.serviceAccountName": o.spec?.serviceAccountName ?? "",
      "status.phase": o.status?.phase ?? "",
      "status.podIP": o.status?.podIP ?? "",
      "status.nominatedNodeName": "",
    }),
  },
  {
    resource: "secrets",
    singular: "secret",
    kind: "Secret",
    group: "",
    version: "v1",
    namespaced: true,
    subresources: [],
    fields: (o) => ({ ...baseFields(o), type: o.type ?? "" }),
  },
  {
    resource: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    group: "",
    version: "v1",
    namespaced: true,
    shortNames: ["cm"],
    subresources: [],
    fields: baseFields,
  },
  {
    resource: "services",
    singular: "service",
    kind: "Service",
    group: "",
    version: "v1",
    namespaced: true,
    shortNames: ["svc"],
    subresources: ["status"],
    fields: baseFields,
  },
  {
    resource: "events",
    singular: "event",
    kind: "Event",
    group: "",
    version: "v1",
    namespaced: true,
    shortNames: ["ev"],
    subresources: [],
    fields: (o) => ({
      ...baseFields(o),
      "involvedObject.kind": o.involvedObject?.kind ?? "",
      "involvedObject.namespace": o.involvedObject?.namespace ?? "",
      "involvedObject.name": o.involvedObject?.name ?? "",
      "involvedObject.uid": o.involvedObject?.uid ?? "",
      "involvedObject.apiVersion": o.involvedObject?.apiVersion ?? "",
      "involvedObject.resourceVersion": o.involvedObject?.resourceVersion ?? "",
      "involvedObject.fieldPath": o.involvedObject?.fieldPath ?? "",
      reason: o.reason ?? "",
      reportingComponent: o.reportingComponent ?? "",
      source: o.source?.component ?? "",
      type: o.type ?? "",
    }),
  },
  {
    resource: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    group: "",
    version: "v1",
    namespaced: false,
    shortNames: ["ns"],
    subresources: ["status"],
    fields: (o) => ({ "metadata.name": o.metadata.name ?? "", "status.phase": o.status?.phase ?? "" }),
  },
];

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return resourceDefs.find((d) => d.group === group && d.version === version && d.resource === resource);
}

export function resourceByName(resource: string): ResourceDef {
  const def = resourceDefs.find((d) => d.resource === resource);
  if (!def) throw new Error(`kube stand-in: unknown resource ${resource}`);
  return def;
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** The APIResourceList of one group version, as `/api/v1` or `/apis/batch/v1` answers. */
export function resourceList(group: string, version: string): Record<string, unknown> {
  const defs = resourceDefs.filter((d) => d.group === group && d.version === version);
  const resources: Record<string, unknown>[] = [];
  for (const d of defs) {
    resources.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs,
      ...(d.shortNames ? { shortNames: d.shortNames } : {}),
    });
    for (const sub of d.subresources) {
      resources.push({
        name: `${d.resource}/${sub}`,
        singularName: "",
        namespaced: d.namespaced,
        kind: sub === "log" ? "Pod" : d.kind,
        verbs: sub === "log" ? ["get"] : ["get", "patch", "update"],
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}
