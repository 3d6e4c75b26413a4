/**
 * Defaulting the API server (and its admission plugins) applies before validation: Job selector and
 * controller labels, PodSpec defaults, Service cluster IPs, Secret `stringData`, Namespace phase.
 */
import { isRecord, type KubeObject } from "./util.js";
import { parseQuantity } from "./validation/names.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function imagePullPolicy(image: unknown): string {
  if (typeof image !== "string") return "IfNotPresent";
  const lastPart = image.split("/").pop() ?? image;
  const noDigest = !image.includes("@");
  const tag = lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
  return noDigest && (tag === undefined || tag === "latest") ? "Always" : "IfNotPresent";
}

function defaultContainer(c: Json): void {
  if (!isRecord(c)) return;
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.imagePullPolicy ??= imagePullPolicy(c.image);
  c.resources ??= {};
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isRecord(p)) p.protocol ??= "TCP";
  if (Array.isArray(c.env)) {
    for (const e of c.env) if (isRecord(e) && isRecord((e.valueFrom as Json)?.fieldRef)) (e.valueFrom as Json).fieldRef.apiVersion ??= "v1";
  }
}

/** Defaults of a PodSpec (in a Pod or a pod template). */
export function defaultPodSpec(spec: Json): void {
  if (!isRecord(spec)) return;
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  spec.securityContext ??= {};
  for (const list of [spec.initContainers, spec.containers]) if (Array.isArray(list)) list.forEach(defaultContainer);
}

/** Kubernetes QoS class of a pod from its containers' requests and limits. */
export function qosClass(spec: Json): "Guaranteed" | "Burstable" | "BestEffort" {
  const containers: Json[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    if (Object.keys(limits).length || Object.keys(requests).length) any = true;
    for (const r of ["cpu", "memory"]) {
      if (limits[r] === undefined || parseQuantity(limits[r]) !== parseQuantity(requests[r] ?? limits[r])) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

let nextClusterIp = 10;

/** Applies creation defaults in place. `uid` is the uid the object is about to get. */
export function applyDefaults(resource: string, o: KubeObject): void {
  const uid = o.metadata.uid!;
  switch (resource) {
    case "jobs": {
      const spec: Json = o.spec;
      if (!isRecord(spec)) return;
      if (spec.completions === undefined && spec.parallelism === undefined) {
        spec.completions = 1;
        spec.parallelism = 1;
      }
      spec.parallelism ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= "NonIndexed";
      spec.suspend ??= false;
      spec.podReplacementPolicy ??= "TerminatingOrFailed";
      if (!spec.manualSelector && spec.selector === undefined) {
        spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
      }
      if (isRecord(spec.template)) {
        const template = spec.template as Json;
        template.metadata ??= {};
        template.metadata.labels ??= {};
        if (!spec.manualSelector) {
          Object.assign(template.metadata.labels, {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": o.metadata.name,
            "controller-uid": uid,
            "job-name": o.metadata.name,
          });
        }
        defaultPodSpec(template.spec);
      }
      o.status = {};
      break;
    }
    case "pods":
      defaultPodSpec(o.spec);
      // Only a Pod (not a Job's pod template) gets its missing requests from its limits.
      for (const list of [o.spec?.initContainers, o.spec?.containers]) {
        for (const c of Array.isArray(list) ? list : []) {
          const res = isRecord(c) && isRecord(c.resources) ? (c.resources as Json) : undefined;
          if (!res || !isRecord(res.limits)) continue;
          res.requests ??= {};
          for (const [k, v] of Object.entries(res.limits)) res.requests[k] ??= v;
        }
      }
      if (isRecord(o.spec)) {
        o.spec.serviceAccountName ??= "default";
        o.spec.serviceAccount ??= o.spec.serviceAccountName;
        o.spec.enableServiceLinks ??= true;
        o.spec.priority ??= 0;
        o.spec.preemptionPolicy ??= "PreemptLowerPriority";
      }
      o.status = { phase: "Pending", qosClass: qosClass(o.spec) };
      break;
    case "services": {
      o.spec ??= {};
      const spec: Json = o.spec;
      spec.type ??= "ClusterIP";
      spec.sessionAffinity ??= "None";
      if (spec.clusterIP === undefined || spec.clusterIP === "") {
        nextClusterIp += 1;
        spec.clusterIP = `10.96.${Math.floor(nextClusterIp / 250)}.${(nextClusterIp % 250) + 1}`;
      }
      spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ["IPv4"];
      spec.ipFamilyPolicy ??= "SingleStack";
      spec.internalTrafficPolicy ??= "Cluster";
      if (Array.isArray(spec.ports)) {
        for (const p of spec.ports)
          if (isRecord(p)) {
            p.protocol ??= "TCP";
            p.targetPort ??= p.port;
          }
      }
      o.status = { loadBalancer: {} };
      break;
    }
    case "namespaces":
      o.metadata.labels = { ...o.metadata.labels, "kubernetes.io/metadata.name": o.metadata.name! };
      o.spec = { finalizers: ["kubernetes"] };
      o.status = { phase: "Active" };
      break;
  }
}

/** Defaults applied on every write (create and update). */
export function applyWriteDefaults(resource: string, o: KubeObject): void {
  if (resource === "secrets") {
    o.type ??= "Opaque";
    if (isRecord(o.stringData)) {
      o.data ??= {};
      for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v), "utf8").toString("base64");
      delete o.stringData;
    }
  }
}
