/**
 * Server-side rules for a PodSpec beyond the schema (ValidatePodSpec of the API server): container
 * names and images, unique names, env var names and sources, ports, volume mounts, requests ≤ limits;
 * plus the cross-field rules shared with Sluice's own job-spec validation (validation-rules.ts).
 */
import type { FieldError } from "../status.js";
import { podSpecCauses, type ValidationCause } from "../../../../src/platforms/kubernetes/validation-rules.js";
import { isRecord } from "../util.js";
import { checkDnsName, checkEnvVarName, isDns1123Subdomain, parseQuantity } from "./names.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const configKeyRe = /^[-._a-zA-Z0-9]+$/;

function checkKeyRef(ref: Json, field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!ref.name) errors.push({ type: "FieldValueRequired", field: `${field}.name` });
  if (!ref.key) errors.push({ type: "FieldValueRequired", field: `${field}.key` });
  else if (!configKeyRe.test(ref.key) || ref.key.length > 253) {
    errors.push({
      type: "FieldValueInvalid",
      field: `${field}.key`,
      badValue: ref.key,
      detail:
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    });
  }
  return errors;
}

function checkEnv(env: Json[], field: string): FieldError[] {
  const errors: FieldError[] = [];
  env.forEach((e, i) => {
    const f = `${field}[${i}]`;
    errors.push(...checkEnvVarName(e.name, `${f}.name`));
    if (e.valueFrom === undefined || e.valueFrom === null) return;
    const sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter((k) => e.valueFrom[k]);
    if (e.value) {
      errors.push({ type: "FieldValueInvalid", field: `${f}.valueFrom`, badValue: "", detail: "may not be specified when `value` is not empty" });
    }
    if (sources.length === 0) {
      errors.push({
        type: "FieldValueInvalid",
        field: `${f}.valueFrom`,
        badValue: "",
        detail: "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
      });
    } else if (sources.length > 1) {
      errors.push({ type: "FieldValueInvalid", field: `${f}.valueFrom`, badValue: "", detail: "may not have more than one field specified at a time" });
    }
    if (e.valueFrom.secretKeyRef) errors.push(...checkKeyRef(e.valueFrom.secretKeyRef, `${f}.valueFrom.secretKeyRef`));
    if (e.valueFrom.configMapKeyRef) errors.push(...checkKeyRef(e.valueFrom.configMapKeyRef, `${f}.valueFrom.configMapKeyRef`));
  });
  return errors;
}

function checkResources(resources: Json, field: string): FieldError[] {
  if (!isRecord(resources)) return [];
  const errors: FieldError[] = [];
  const limits = (resources.limits ?? {}) as Record<string, unknown>;
  const requests = (resources.requests ?? {}) as Record<string, unknown>;
  for (const [kind, values] of [
    ["limits", limits],
    ["requests", requests],
  ] as const) {
    for (const [name, q] of Object.entries(values)) {
      const n = parseQuantity(q);
      if (n !== undefined && n < 0) {
        errors.push({ type: "FieldValueInvalid", field: `${field}.${kind}[${name}]`, badValue: q, detail: "must be greater than or equal to 0" });
      }
    }
  }
  for (const [name, req] of Object.entries(requests)) {
    const lim = limits[name];
    if (lim === undefined) continue;
    const r = parseQuantity(req);
    const l = parseQuantity(lim);
    if (r !== undefined && l !== undefined && r > l) {
      errors.push({
        type: "FieldValueInvalid",
        field: `${field}.requests`,
        badValue: String(req),
        detail: `must be less than or equal to ${name} limit of ${String(lim)}`,
      });
    }
  }
  return errors;
}

function checkContainer(c: Json, field: string, volumes: Set<string>): FieldError[] {
  const errors: FieldError[] = [...checkDnsName(c.name, `${field}.name`, "label")];
  if (typeof c.image !== "string" || c.image === "") errors.push({ type: "FieldValueRequired", field: `${field}.image` });
  else if (c.image.trim() !== c.image) {
    errors.push({ type: "FieldValueInvalid", field: `${field}.image`, badValue: c.image, detail: "must not have leading or trailing whitespace" });
  }
  if (Array.isArray(c.env)) errors.push(...checkEnv(c.env, `${field}.env`));
  if (Array.isArray(c.envFrom)) {
    c.envFrom.forEach((e: Json, i: number) => {
      const n = [e.configMapRef, e.secretRef].filter(Boolean).length;
      if (n !== 1)
        errors.push({ type: "FieldValueInvalid", field: `${field}.envFrom[${i}]`, badValue: "", detail: "must specify one of: `configMapRef` or `secretRef`" });
    });
  }
  if (Array.isArray(c.ports)) {
    c.ports.forEach((p: Json, i: number) => {
      if (typeof p.containerPort === "number" && (p.containerPort < 1 || p.containerPort > 65535)) {
        errors.push({
          type: "FieldValueInvalid",
          field: `${field}.ports[${i}].containerPort`,
          badValue: p.containerPort,
          detail: "must be between 1 and 65535, inclusive",
        });
      }
    });
  }
  if (Array.isArray(c.volumeMounts)) {
    c.volumeMounts.forEach((m: Json, i: number) => {
      if (m.name && !volumes.has(m.name)) errors.push({ type: "FieldValueNotFound", field: `${field}.volumeMounts[${i}].name`, badValue: m.name });
      if (!m.mountPath) errors.push({ type: "FieldValueRequired", field: `${field}.volumeMounts[${i}].mountPath` });
    });
  }
  errors.push(...checkResources(c.resources, `${field}.resources`));
  return errors;
}

/** The shared validation rules' causes as the stand-in's field errors. */
export function fromCauses(causes: ValidationCause[]): FieldError[] {
  return causes.map((c) => ({ type: c.type, field: c.field, message: c.message }));
}

/**
 * Field errors of a PodSpec at `field` (`spec` for a Pod, `spec.template.spec` for a Job). The rules shared
 * with Sluice (src/platforms/kubernetes/validation-rules.ts) are included unless the caller adds them
 * itself (a Job's rules include its template's).
 */
export function checkPodSpec(spec: Json, field: string, opts: { withSharedRules?: boolean } = {}): FieldError[] {
  if (!isRecord(spec)) return [{ type: "FieldValueRequired", field }];
  const errors: FieldError[] = [];
  const volumes = new Set<string>();
  if (Array.isArray(spec.volumes)) {
    spec.volumes.forEach((v: Json, i: number) => {
      errors.push(...checkDnsName(v.name, `${field}.volumes[${i}].name`, "label"));
      if (volumes.has(v.name)) errors.push({ type: "FieldValueDuplicate", field: `${field}.volumes[${i}].name`, badValue: v.name });
      volumes.add(v.name);
    });
  }
  const containers = spec.containers as Json[] | undefined;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push({ type: "FieldValueRequired", field: `${field}.containers` });
  }
  const names = new Set<string>();
  for (const [list, key] of [
    [spec.initContainers, "initContainers"],
    [containers, "containers"],
  ] as const) {
    if (!Array.isArray(list)) continue;
    list.forEach((c: Json, i: number) => {
      const f = `${field}.${key}[${i}]`;
      errors.push(...checkContainer(c, f, volumes));
      if (typeof c.name === "string" && c.name !== "") {
        if (names.has(c.name)) errors.push({ type: "FieldValueDuplicate", field: `${f}.name`, badValue: c.name });
        names.add(c.name);
      }
    });
  }
  if (Array.isArray(spec.imagePullSecrets)) {
    spec.imagePullSecrets.forEach((s: Json, i: number) => {
      if (s.name && !isDns1123Subdomain(s.name)) {
        errors.push(...checkDnsName(s.name, `${field}.imagePullSecrets[${i}].name`, "subdomain"));
      }
    });
  }
  if (spec.serviceAccountName) errors.push(...checkDnsName(spec.serviceAccountName, `${field}.serviceAccountName`, "subdomain"));
  if (opts.withSharedRules !== false) errors.push(...fromCauses(podSpecCauses(spec, field)));
  return errors;
}
