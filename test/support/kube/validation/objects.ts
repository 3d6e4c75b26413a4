/**
 * Per-kind server-side validation (what the API server's ValidateXxx and ValidateXxxUpdate add to the
 * schema): names, labels, Job and Service rules, Secret keys, immutable fields on update.
 */
import type { FieldError } from "../status.js";
import type { KubeObject } from "../util.js";
import { isRecord } from "../util.js";
import { labelSelectorFromObject } from "../selectors.js";
import { checkAnnotations, checkDnsName, checkLabels, type NameRule } from "./names.js";
import { checkPodSpec, fromCauses } from "./podSpec.js";
import { jobSpecCauses } from "../../../../src/platforms/kubernetes/validation-rules.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const nameRules: Record<string, NameRule> = {
  jobs: "subdomain",
  pods: "subdomain",
  secrets: "subdomain",
  configmaps: "subdomain",
  events: "subdomain",
  services: "dns1035",
  namespaces: "label",
};

const configKeyRe = /^[-._a-zA-Z0-9]+$/;

function checkMetadata(resource: string, o: KubeObject): FieldError[] {
  const m = o.metadata;
  const errors: FieldError[] = [];
  if (!m.name) {
    errors.push({ type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" });
  } else {
    errors.push(...checkDnsName(m.name, "metadata.name", nameRules[resource] ?? "subdomain"));
  }
  errors.push(...checkLabels(m.labels, "metadata.labels"));
  errors.push(...checkAnnotations(m.annotations, "metadata.annotations"));
  if (Array.isArray(m.ownerReferences)) {
    m.ownerReferences.forEach((r, i) => {
      for (const k of ["apiVersion", "kind", "name", "uid"] as const) {
        if (!r[k]) errors.push({ type: "FieldValueRequired", field: `metadata.ownerReferences[${i}].${k}` });
      }
    });
    if (m.ownerReferences.filter((r) => r.controller).length > 1) {
      errors.push({
        type: "FieldValueInvalid",
        field: "metadata.ownerReferences",
        badValue: m.ownerReferences,
        detail: "Only one reference can have Controller set to true",
      });
    }
  }
  return errors;
}

function checkJob(o: KubeObject): FieldError[] {
  const spec: Json = o.spec;
  const errors: FieldError[] = [];
  if (typeof o.metadata.name === "string" && o.metadata.name.length > 63) {
    // Pods carry the Job name in the `job-name` label, whose values are at most 63 characters.
    errors.push({ type: "FieldValueInvalid", field: "metadata.name", badValue: o.metadata.name, detail: "must be no more than 63 characters" });
  }
  if (!isRecord(spec)) return [...errors, { type: "FieldValueRequired", field: "spec" }];
  if (!isRecord(spec.template)) return [...errors, { type: "FieldValueRequired", field: "spec.template" }];
  const template: Json = spec.template;
  const selector = spec.selector;
  if (!selector) errors.push({ type: "FieldValueRequired", field: "spec.selector" });
  else if (!labelSelectorFromObject(selector)(template.metadata?.labels)) {
    errors.push({
      type: "FieldValueInvalid",
      field: "spec.template.metadata.labels",
      badValue: template.metadata?.labels ?? {},
      detail: "`selector` does not match template `labels`",
    });
  }
  errors.push(...checkLabels(template.metadata?.labels, "spec.template.metadata.labels"));
  errors.push(...checkAnnotations(template.metadata?.annotations, "spec.template.metadata.annotations"));
  // The shared rules check the template's pod spec too (restartPolicy, podFailurePolicy, ...).
  errors.push(...checkPodSpec(template.spec, "spec.template.spec", { withSharedRules: false }));
  errors.push(...fromCauses(jobSpecCauses(spec, "spec")));
  return errors;
}

function checkKeys(data: unknown, field: string): FieldError[] {
  if (!isRecord(data)) return [];
  const errors: FieldError[] = [];
  for (const key of Object.keys(data)) {
    if (!configKeyRe.test(key) || key.length > 253) {
      errors.push({
        type: "FieldValueInvalid",
        field: `${field}[${key}]`,
        badValue: key,
        detail:
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      });
    }
  }
  return errors;
}

function checkSecret(o: KubeObject): FieldError[] {
  const errors = checkKeys(o.data, "data");
  const data = (o.data ?? {}) as Record<string, string>;
  let size = 0;
  for (const v of Object.values(data)) size += Buffer.from(String(v), "base64").length;
  if (size > 1024 * 1024) errors.push({ type: "FieldValueTooLong", field: "data", detail: "may not be more than 1048576 bytes" });
  const required: Record<string, string> = {
    "kubernetes.io/dockerconfigjson": ".dockerconfigjson",
    "kubernetes.io/dockercfg": ".dockercfg",
    "kubernetes.io/tls": "tls.crt",
  };
  const key = required[o.type as string];
  if (key && !(key in data)) errors.push({ type: "FieldValueRequired", field: `data[${key}]` });
  if (o.type === "kubernetes.io/dockerconfigjson" && data[key!]) {
    try {
      JSON.parse(Buffer.from(data[key!]!, "base64").toString("utf8"));
    } catch (e) {
      errors.push({ type: "FieldValueInvalid", field: "data[.dockerconfigjson]", badValue: "<secret contents redacted>", detail: (e as Error).message });
    }
  }
  return errors;
}

function checkService(o: KubeObject): FieldError[] {
  const spec: Json = o.spec ?? {};
  const errors: FieldError[] = [];
  const ports: Json[] = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0 && spec.clusterIP !== "None" && spec.type !== "ExternalName") {
    errors.push({ type: "FieldValueRequired", field: "spec.ports" });
  }
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (ports.length > 1 && !p.name) errors.push({ type: "FieldValueRequired", field: `spec.ports[${i}].name` });
    if (p.name) {
      if (names.has(p.name)) errors.push({ type: "FieldValueDuplicate", field: `spec.ports[${i}].name`, badValue: p.name });
      names.add(p.name);
      errors.push(...checkDnsName(p.name, `spec.ports[${i}].name`, "label"));
    }
    if (typeof p.port === "number" && (p.port < 1 || p.port > 65535)) {
      errors.push({ type: "FieldValueInvalid", field: `spec.ports[${i}].port`, badValue: p.port, detail: "must be between 1 and 65535, inclusive" });
    }
  });
  errors.push(...checkLabels(spec.selector, "spec.selector"));
  return errors;
}

/** Field errors for a (defaulted) object about to be created. */
export function checkObject(resource: string, o: KubeObject): FieldError[] {
  const errors = checkMetadata(resource, o);
  switch (resource) {
    case "jobs":
      errors.push(...checkJob(o));
      break;
    case "pods":
      errors.push(...checkPodSpec(o.spec, "spec"));
      break;
    case "secrets":
      errors.push(...checkSecret(o));
      break;
    case "configmaps":
      errors.push(...checkKeys(o.data, "data"), ...checkKeys(o.binaryData, "binaryData"));
      break;
    case "services":
      errors.push(...checkService(o));
      break;
  }
  return errors;
}

function immutable(field: string, before: unknown, after: unknown): FieldError[] {
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ type: "FieldValueInvalid", field, badValue: after, detail: "field is immutable" }];
}

/** Field errors for an update from `old` to `next` (both defaulted). */
export function checkUpdate(resource: string, old: KubeObject, next: KubeObject): FieldError[] {
  const errors = checkObject(resource, next);
  if (resource === "jobs") {
    errors.push(...immutable("spec.selector", old.spec?.selector, next.spec?.selector));
    errors.push(...immutable("spec.completions", old.spec?.completions, next.spec?.completions));
    if (!old.spec?.suspend) errors.push(...immutable("spec.template", old.spec?.template, next.spec?.template));
  }
  if (resource === "pods") {
    const strip = (s: Json) => ({ ...s, containers: (s?.containers ?? []).map((c: Json) => ({ ...c, image: "" })), activeDeadlineSeconds: 0, tolerations: [] });
    if (JSON.stringify(strip(old.spec)) !== JSON.stringify(strip(next.spec))) {
      errors.push({
        type: "FieldValueForbidden",
        field: "spec",
        detail:
          "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)",
      });
    }
  }
  if (resource === "services") errors.push(...immutable("spec.clusterIP", old.spec?.clusterIP, next.spec?.clusterIP));
  if (resource === "secrets" && old.immutable) errors.push(...immutable("data", old.data, next.data));
  return errors;
}
