/**
 * Rules a Kubernetes API server (v1.28) applies to a Job spec and a Pod spec beyond the OpenAPI schema:
 * cross-field rules a schema check cannot see. Each broken rule is one cause, with the field path and the
 * message the API server answers (`details.causes[]` of a 422 `Invalid` Status), so Sluice can refuse at
 * construction what the cluster would refuse at launch, in the cluster's own words.
 *
 * Pure: the input is the spec as it would be sent (plain JSON), the output a list of causes. The rules see
 * the spec as the server does after its defaulting: a missing `restartPolicy` is `Always`, a missing
 * `fieldRef.apiVersion` is `v1`, a missing `hostPort` under `hostNetwork` equals its `containerPort`.
 */

/** How a field is wrong, with the names the API server gives them (`reason` of a cause). */
export type CauseType = "FieldValueInvalid" | "FieldValueRequired" | "FieldValueNotSupported" | "FieldValueForbidden";

/** One broken rule: a field path such as `spec.template.spec.containers[0].resources.limits[gpu]`. */
export interface ValidationCause {
  field: string;
  type: CauseType;
  /** What the API server says after the field path: `Invalid value: "gpu": must be ...`. */
  message: string;
}

/** `field: message`, the way the API server joins a cause into its Status message. */
export function causeText(cause: ValidationCause): string {
  return `${cause.field}: ${cause.message}`;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A value printed as the API server prints a bad value: strings quoted, numbers and booleans plain. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

const invalid = (field: string, value: unknown, detail: string): ValidationCause => ({
  field,
  type: "FieldValueInvalid",
  message: `Invalid value: ${shown(value)}: ${detail}`,
});
const required = (field: string, detail = ""): ValidationCause => ({
  field,
  type: "FieldValueRequired",
  message: detail ? `Required value: ${detail}` : "Required value",
});
const forbidden = (field: string, detail: string): ValidationCause => ({ field, type: "FieldValueForbidden", message: `Forbidden: ${detail}` });
const notSupported = (field: string, value: unknown, supported: readonly string[]): ValidationCause => ({
  field,
  type: "FieldValueNotSupported",
  message: `Unsupported value: ${shown(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`,
});

const maxInt32 = 2147483647;
const rangeText = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;
const nonNegativeText = "must be greater than or equal to 0";

// ---- names and label values -------------------------------------------------------------------------

const qualifiedNamePartRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const qualifiedNameText =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const subdomainText =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelValueText =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Why `value` is not a qualified name (`[prefix/]name`, as label keys and resource names are). */
export function qualifiedNameProblems(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const out: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (prefix.length === 0) out.push("prefix part must be non-empty");
    else if (prefix.length > 253 || !dns1123SubdomainRe.test(prefix)) out.push(`prefix part ${subdomainText}`);
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) out.push("name part must be non-empty");
  else if (name.length > 63) out.push("name part must be no more than 63 characters");
  if (name.length > 0 && !qualifiedNamePartRe.test(name)) out.push(qualifiedNameText);
  return out;
}

/** Why `value` is not a label value. */
export function labelValueProblems(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push("must be no more than 63 characters");
  if (!labelValueRe.test(value)) out.push(labelValueText);
  return out;
}

/** A map of labels (nodeSelector): every problem is reported on the map's own path, as the server does. */
function labelMapCauses(labels: unknown, field: string): ValidationCause[] {
  if (!isObject(labels)) return [];
  const out: ValidationCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    for (const p of qualifiedNameProblems(key)) out.push(invalid(field, key, p));
    for (const p of labelValueProblems(String(value))) out.push(invalid(field, String(value), p));
  }
  return out;
}

// ---- env: downward API field references -----------------------------------------------------------

/** Pod fields an env var may read (`status.hostIPs` is behind a feature gate that is off in v1.28). */
const envFieldPaths = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.podIP",
  "status.podIPs",
];
/** Pod fields the server can convert at all (a downward API volume may read the label and annotation maps). */
const knownPodFieldLabels = new Set([
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.serviceAccountName",
  "spec.schedulerName",
  "status.phase",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
]);

function splitSubscript(path: string): [string, string] | undefined {
  if (!path.endsWith("']")) return undefined;
  const at = path.indexOf("['");
  if (at <= 0) return undefined;
  return [path.slice(0, at), path.slice(at + 2, -2)];
}

function fieldRefCauses(ref: Json, field: string): ValidationCause[] {
  const apiVersion = ref.apiVersion ?? "v1";
  const path = ref.fieldPath;
  if (typeof path !== "string" || path === "") return [required(`${field}.fieldPath`)];
  const converting = (why: string) => [invalid(`${field}.fieldPath`, path, `error converting fieldPath: ${why}`)];
  if (apiVersion !== "v1") return converting(`unsupported pod version: ${String(apiVersion)}`);
  const sub = splitSubscript(path);
  if (sub) {
    const [base, key] = sub;
    if (base !== "metadata.labels" && base !== "metadata.annotations") return converting(`field label does not support subscript: ${path}`);
    return qualifiedNameProblems(base === "metadata.annotations" ? key.toLowerCase() : key).map((p) => invalid(field, key, p));
  }
  const internal = path === "spec.host" ? "spec.nodeName" : path;
  if (!knownPodFieldLabels.has(internal)) return converting(`field label not supported: ${path}`);
  if (!envFieldPaths.includes(internal)) return [notSupported(`${field}.fieldPath`, internal, envFieldPaths)];
  return [];
}

// ---- resources ---------------------------------------------------------------------------------------

const standardResources = new Set([
  "cpu",
  "memory",
  "ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "pods",
  "services",
  "replicationcontrollers",
  "resourcequotas",
  "secrets",
  "persistentvolumeclaims",
  "configmaps",
  "requests.storage",
  "services.nodeports",
  "services.loadbalancers",
]);
const standardContainerResources = new Set(["cpu", "memory", "ephemeral-storage"]);
const isHugePages = (name: string) => name.startsWith("hugepages-");

function isNativeResource(name: string): boolean {
  if (!name.includes("/")) return true;
  const domain = name.split("/")[0]!;
  return domain === "kubernetes.io" || domain.endsWith(".kubernetes.io");
}

/** A resource name in a container's limits or requests. */
function resourceNameCauses(name: string, field: string): ValidationCause[] {
  const out = qualifiedNameProblems(name).map((p) => invalid(field, name, p));
  const unqualified = !name.includes("/");
  if (unqualified && !standardResources.has(name) && !isHugePages(name) && !name.startsWith("requests.hugepages-")) {
    out.push(invalid(field, name, "must be a standard resource type or fully qualified"));
  }
  if (unqualified) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) out.push(invalid(field, name, "must be a standard resource for containers"));
  } else if (!isNativeResource(name) && qualifiedNameProblems(`requests.${name}`).length > 0) {
    out.push(invalid(field, name, "doesn't follow extended resource name standard"));
  }
  return out;
}

// ---- containers --------------------------------------------------------------------------------------

function idCauses(securityContext: unknown, field: string, keys: readonly string[]): ValidationCause[] {
  if (!isObject(securityContext)) return [];
  const out: ValidationCause[] = [];
  for (const key of keys) {
    const v = securityContext[key];
    if (typeof v === "number" && (v < 0 || v > maxInt32)) out.push(invalid(`${field}.${key}`, v, rangeText(0, maxInt32)));
  }
  return out;
}

function containerCauses(c: Json, field: string): ValidationCause[] {
  const out: ValidationCause[] = [];
  listOf(c.env).forEach((e, j) => {
    const ref = isObject(e) && isObject(e.valueFrom) ? e.valueFrom.fieldRef : undefined;
    if (isObject(ref)) out.push(...fieldRefCauses(ref, `${field}.env[${j}].valueFrom.fieldRef`));
  });
  const resources = isObject(c.resources) ? c.resources : {};
  for (const kind of ["limits", "requests"] as const) {
    const list = resources[kind];
    if (!isObject(list)) continue;
    for (const name of Object.keys(list)) out.push(...resourceNameCauses(name, `${field}.resources.${kind}[${name}]`));
  }
  out.push(...idCauses(c.securityContext, `${field}.securityContext`, ["runAsUser", "runAsGroup"]));
  return out;
}

// ---- volumes -----------------------------------------------------------------------------------------

/** Volume sources in the order the server checks them, with the path it names when one is one too many. */
const volumeSources: readonly [key: string, path: string][] = [
  ["emptyDir", "emptyDir"],
  ["hostPath", "hostPath"],
  ["gitRepo", "gitRepo"],
  ["gcePersistentDisk", "gcePersistentDisk"],
  ["awsElasticBlockStore", "awsElasticBlockStore"],
  ["secret", "secret"],
  ["nfs", "nfs"],
  ["iscsi", "iscsi"],
  ["glusterfs", "glusterfs"],
  ["flocker", "flocker"],
  ["persistentVolumeClaim", "persistentVolumeClaim"],
  ["rbd", "rbd"],
  ["cinder", "cinder"],
  ["cephfs", "cephFS"],
  ["quobyte", "quobyte"],
  ["downwardAPI", "downwarAPI"],
  ["fc", "fc"],
  ["flexVolume", "flexVolume"],
  ["configMap", "configMap"],
  ["azureFile", "azureFile"],
  ["vsphereVolume", "vsphereVolume"],
  ["photonPersistentDisk", "photonPersistentDisk"],
  ["portworxVolume", "portworxVolume"],
  ["azureDisk", "azureDisk"],
  ["storageos", "storageos"],
  ["projected", "projected"],
  ["scaleIO", "scaleIO"],
  ["csi", "csi"],
  ["ephemeral", "ephemeral"],
];

function volumeCauses(volume: Json, field: string): ValidationCause[] {
  const out: ValidationCause[] = [];
  let count = 0;
  for (const [key, path] of volumeSources) {
    if (volume[key] === undefined || volume[key] === null) continue;
    if (count > 0) out.push(forbidden(`${field}.${path}`, "may not specify more than 1 volume type"));
    else count += 1;
  }
  if (count === 0) out.push(required(field, "must specify a volume type"));
  return out;
}

// ---- tolerations -------------------------------------------------------------------------------------

/** A toleration printed as the server prints the struct it rejects. */
function tolerationText(t: Json): string {
  const s = (v: unknown) => JSON.stringify(typeof v === "string" ? v : "");
  const seconds = typeof t.tolerationSeconds === "number" ? `(*int64)(${t.tolerationSeconds})` : "(*int64)(nil)";
  return `core.Toleration{Key:${s(t.key)}, Operator:${s(t.operator)}, Value:${s(t.value)}, Effect:${s(t.effect)}, TolerationSeconds:${seconds}}`;
}

function tolerationCauses(t: Json, field: string): ValidationCause[] {
  const out: ValidationCause[] = [];
  const key = typeof t.key === "string" ? t.key : "";
  const operator = typeof t.operator === "string" ? t.operator : "";
  const value = typeof t.value === "string" ? t.value : "";
  if (key) for (const p of qualifiedNameProblems(key)) out.push(invalid(`${field}.key`, key, p));
  else if (operator !== "Exists") {
    out.push(invalid(`${field}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  }
  if (typeof t.tolerationSeconds === "number" && t.effect !== "NoExecute") {
    out.push(invalid(`${field}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
  if (operator === "" || operator === "Equal") {
    const problems = labelValueProblems(value);
    if (problems.length) out.push(invalid(`${field}.operator`, value, problems.join(";")));
  } else if (operator === "Exists") {
    if (value.length > 0) {
      out.push({
        field: `${field}.operator`,
        type: "FieldValueInvalid",
        message: `Invalid value: ${tolerationText(t)}: value must be empty when \`operator\` is 'Exists'`,
      });
    }
  } else {
    out.push(notSupported(`${field}.operator`, operator, ["Equal", "Exists"]));
  }
  if (typeof t.effect === "string" && t.effect !== "" && !["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect)) {
    out.push(notSupported(`${field}.effect`, t.effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]));
  }
  return out;
}

// ---- pod spec ----------------------------------------------------------------------------------------

/**
 * Causes for a Pod spec at `path` (`spec` for a Pod, `spec.template.spec` for a Job): env field references,
 * resource names, volume sources, nodeSelector, tolerations, user and group ids, the pod deadline,
 * `dnsPolicy: None` without `dnsConfig`, and host ports under `hostNetwork`.
 */
export function podSpecCauses(spec: unknown, path: string): ValidationCause[] {
  if (!isObject(spec)) return [];
  const out: ValidationCause[] = [];
  listOf(spec.volumes).forEach((v, i) => {
    if (isObject(v)) out.push(...volumeCauses(v, `${path}.volumes[${i}]`));
  });
  for (const key of ["initContainers", "containers"] as const) {
    listOf(spec[key]).forEach((c, i) => {
      if (isObject(c)) out.push(...containerCauses(c, `${path}.${key}[${i}]`));
    });
  }
  out.push(...labelMapCauses(spec.nodeSelector, `${path}.nodeSelector`));
  listOf(spec.tolerations).forEach((t, i) => {
    if (isObject(t)) out.push(...tolerationCauses(t, `${path}.tolerations[${i}]`));
  });
  out.push(...idCauses(spec.securityContext, `${path}.securityContext`, ["runAsUser", "runAsGroup", "fsGroup"]));
  const deadline = spec.activeDeadlineSeconds;
  if (typeof deadline === "number" && (deadline < 1 || deadline > maxInt32)) {
    out.push(invalid(`${path}.activeDeadlineSeconds`, deadline, rangeText(1, maxInt32)));
  }
  if (spec.dnsPolicy === "None") {
    if (!isObject(spec.dnsConfig)) out.push(required(`${path}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
    else if (listOf(spec.dnsConfig.nameservers).length === 0) {
      out.push(required(`${path}.dnsConfig.nameservers`, "must provide at least one DNS nameserver when `dnsPolicy` is None"));
    }
  }
  const hostNetwork = spec.hostNetwork === true || (isObject(spec.securityContext) && spec.securityContext.hostNetwork === true);
  if (hostNetwork) {
    listOf(spec.containers).forEach((c, i) => {
      listOf(isObject(c) ? c.ports : undefined).forEach((p, j) => {
        if (!isObject(p)) return;
        const hostPort = typeof p.hostPort === "number" && p.hostPort !== 0 ? p.hostPort : p.containerPort;
        if (hostPort !== p.containerPort) {
          out.push(invalid(`${path}.containers[${i}].ports[${j}].containerPort`, p.containerPort, "must match `hostPort` when `hostNetwork` is true"));
        }
      });
    });
  }
  return out;
}

// ---- job spec ----------------------------------------------------------------------------------------

const podFailureActions = ["Count", "FailJob", "Ignore"];

function podFailurePolicyCauses(policy: Json, field: string): ValidationCause[] {
  const out: ValidationCause[] = [];
  listOf(policy.rules).forEach((r, i) => {
    const f = `${field}.rules[${i}]`;
    if (!isObject(r)) return;
    if (typeof r.action !== "string" || r.action === "") out.push(required(`${f}.action`));
    else if (!podFailureActions.includes(r.action)) out.push(notSupported(`${f}.action`, r.action, podFailureActions));
    const exit = isObject(r.onExitCodes) ? r.onExitCodes : undefined;
    const conditions = r.onPodConditions;
    if (exit && listOf(conditions).length > 0) out.push(invalid(f, "", "specifying both OnExitCodes and OnPodConditions is not supported"));
    else if (!exit && listOf(conditions).length === 0) out.push(invalid(f, "", "specifying one of OnExitCodes and OnPodConditions is required"));
    if (exit) {
      const operator = exit.operator;
      if (operator !== "In" && operator !== "NotIn") out.push(notSupported(`${f}.onExitCodes.operator`, operator ?? "", ["In", "NotIn"]));
      const values = listOf(exit.values);
      if (values.length === 0) out.push(required(`${f}.onExitCodes.values`, "at least one value is required"));
      values.forEach((v, j) => {
        if (operator === "In" && v === 0) out.push(invalid(`${f}.onExitCodes.values[${j}]`, 0, "must not be 0 for the In operator"));
        const previous = values[j - 1];
        if (j > 0 && typeof v === "number" && typeof previous === "number" && previous >= v) {
          out.push(invalid(`${f}.onExitCodes.values[${j}]`, v, previous === v ? "must not be duplicated" : "must be ordered"));
        }
      });
    }
  });
  return out;
}

/**
 * Causes for a Job spec at `path` (`spec` for a Job): counts and deadline, `restartPolicy` (`OnFailure` or
 * `Never`, and only `Never` with a `podFailurePolicy`), the pod failure policy's rules, and every Pod spec
 * rule of `podSpecCauses` for the template.
 */
export function jobSpecCauses(spec: unknown, path: string): ValidationCause[] {
  if (!isObject(spec)) return [];
  const out: ValidationCause[] = [];
  for (const key of ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"]) {
    const v = spec[key];
    if (typeof v === "number" && v < 0) out.push(invalid(`${path}.${key}`, v, nonNegativeText));
  }
  const template = isObject(spec.template) ? spec.template : undefined;
  const podSpec = template && isObject(template.spec) ? template.spec : undefined;
  const restartPolicy = podSpec?.restartPolicy ?? "Always";
  const restartField = `${path}.template.spec.restartPolicy`;
  if (restartPolicy !== "OnFailure" && restartPolicy !== "Never") out.push(notSupported(restartField, restartPolicy, ["OnFailure", "Never"]));
  else if (isObject(spec.podFailurePolicy) && restartPolicy !== "Never") {
    out.push(invalid(restartField, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  if (isObject(spec.podFailurePolicy)) out.push(...podFailurePolicyCauses(spec.podFailurePolicy, `${path}.podFailurePolicy`));
  if (podSpec) out.push(...podSpecCauses(podSpec, `${path}.template.spec`));
  return out;
}
