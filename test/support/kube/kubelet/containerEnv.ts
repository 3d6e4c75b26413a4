/**
 * Builds a container's environment as the kubelet does: `envFrom` then `env`, values from Secrets,
 * ConfigMaps and the downward API, `$(VAR)` expansion. A missing Secret/ConfigMap or key is the
 * kubelet's CreateContainerConfigError message.
 */
import type { ObjectStore } from "../store.js";
import type { KubeObject } from "../util.js";
import { parseQuantity } from "../validation/names.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export type EnvResult = { ok: true; env: [string, string][] } | { ok: false; message: string };

/** Expands `$(NAME)` from earlier variables; `$$(NAME)` stays literal `$(NAME)`. */
export function expandVars(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([-._a-zA-Z0-9]+)\)/g, (all, name: string | undefined) => {
    if (all === "$$") return "$";
    return name !== undefined && vars.has(name) ? vars.get(name)! : all;
  });
}

function fieldValue(pod: KubeObject, path: string): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1] as "labels" | "annotations"] ?? {})[m[2]!] ?? "";
  switch (path) {
    case "metadata.name":
      return pod.metadata.name;
    case "metadata.namespace":
      return pod.metadata.namespace;
    case "metadata.uid":
      return pod.metadata.uid;
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
    case "status.podIP":
      return "127.0.0.1";
    case "status.hostIPs":
    case "status.podIPs":
      return "127.0.0.1";
    default:
      return undefined;
  }
}

function resourceValue(container: Json, ref: Json): string {
  const [kind, name] = String(ref.resource ?? "").split(".");
  const raw = container.resources?.[kind === "limits" ? "limits" : "requests"]?.[name ?? ""];
  const value = parseQuantity(raw) ?? (name === "cpu" ? 1 : 0);
  const divisor = parseQuantity(ref.divisor) ?? 1;
  return String(Math.ceil(value / divisor));
}

export function resolveEnv(store: ObjectStore, pod: KubeObject, container: Json): EnvResult {
  const ns = pod.metadata.namespace ?? "default";
  const vars = new Map<string, string>();
  const decode = (s: unknown) => Buffer.from(String(s ?? ""), "base64").toString("utf8");
  for (const from of (container.envFrom ?? []) as Json[]) {
    const prefix = from.prefix ?? "";
    const ref = from.secretRef ?? from.configMapRef;
    const resource = from.secretRef ? "secrets" : "configmaps";
    const obj = store.get(resource, ns, ref?.name ?? "");
    if (!obj) {
      if (ref?.optional) continue;
      return { ok: false, message: `${resource === "secrets" ? "secret" : "configmap"} "${ref?.name}" not found` };
    }
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) {
      vars.set(prefix + k, resource === "secrets" ? decode(v) : String(v));
    }
  }
  for (const e of (container.env ?? []) as Json[]) {
    if (e.valueFrom === undefined || e.valueFrom === null) {
      vars.set(e.name, expandVars(String(e.value ?? ""), vars));
      continue;
    }
    const vf = e.valueFrom;
    const keyRef = vf.secretKeyRef ?? vf.configMapKeyRef;
    if (keyRef) {
      const isSecret = Boolean(vf.secretKeyRef);
      const obj = store.get(isSecret ? "secrets" : "configmaps", ns, keyRef.name ?? "");
      if (!obj) {
        if (keyRef.optional) continue;
        return { ok: false, message: `${isSecret ? "secret" : "configmap"} "${keyRef.name}" not found` };
      }
      const data = (obj.data ?? {}) as Record<string, string>;
      if (!(keyRef.key in data)) {
        if (keyRef.optional) continue;
        return { ok: false, message: `couldn't find key ${keyRef.key} in ${isSecret ? "Secret" : "ConfigMap"} ${ns}/${keyRef.name}` };
      }
      vars.set(e.name, isSecret ? decode(data[keyRef.key]) : String(data[keyRef.key]));
    } else if (vf.fieldRef) {
      const v = fieldValue(pod, vf.fieldRef.fieldPath);
      if (v === undefined) return { ok: false, message: `unsupported fieldPath: ${vf.fieldRef.fieldPath}` };
      vars.set(e.name, v);
    } else if (vf.resourceFieldRef) {
      vars.set(e.name, resourceValue(container, vf.resourceFieldRef));
    }
  }
  return { ok: true, env: [...vars] };
}
