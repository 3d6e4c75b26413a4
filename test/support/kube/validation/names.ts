/**
 * Name, label and annotation rules of k8s.io/apimachinery/pkg/util/validation, with its messages.
 */
import type { FieldError } from "../status.js";
import { isRecord } from "../util.js";

const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035LabelRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const envVarNameRe = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export type NameRule = "subdomain" | "label" | "dns1035";

const nameMessages: Record<NameRule, string> = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
};

/** Errors for `value` under a DNS rule: subdomain (≤253), label or DNS-1035 label (≤63). */
export function checkDnsName(value: unknown, field: string, rule: NameRule): FieldError[] {
  if (typeof value !== "string" || value === "") return [{ type: "FieldValueRequired", field }];
  const errors: FieldError[] = [];
  const max = rule === "subdomain" ? 253 : 63;
  if (value.length > max) errors.push({ type: "FieldValueInvalid", field, badValue: value, detail: `must be no more than ${max} characters` });
  const re = rule === "subdomain" ? dns1123SubdomainRe : rule === "label" ? dns1123LabelRe : dns1035LabelRe;
  if (!re.test(value)) errors.push({ type: "FieldValueInvalid", field, badValue: value, detail: nameMessages[rule] });
  return errors;
}

function checkQualifiedName(key: string, field: string): FieldError[] {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const errors: FieldError[] = [];
  if (prefix !== undefined && (prefix.length > 253 || !dns1123SubdomainRe.test(prefix))) {
    errors.push({ type: "FieldValueInvalid", field, badValue: key, detail: `prefix part ${nameMessages.subdomain}` });
  }
  if (name.length === 0 || name.length > 63 || !qualifiedNameRe.test(name)) {
    errors.push({
      type: "FieldValueInvalid",
      field,
      badValue: key,
      detail:
        name.length > 63
          ? "name part must be no more than 63 characters"
          : "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    });
  }
  return errors;
}

/** Label keys and values as ValidateLabels checks them. */
export function checkLabels(labels: unknown, field: string): FieldError[] {
  if (!isRecord(labels)) return [];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...checkQualifiedName(key, field));
    const v = String(value);
    // The API server reports a bad value on the map's own path, not on the key.
    if (v.length > 63) errors.push({ type: "FieldValueInvalid", field, badValue: v, detail: "must be no more than 63 characters" });
    if (!labelValueRe.test(v)) {
      errors.push({
        type: "FieldValueInvalid",
        field,
        badValue: v,
        detail:
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      });
    }
  }
  return errors;
}

/** Annotation keys are qualified names; all annotations together at most 256 KiB. */
export function checkAnnotations(annotations: unknown, field: string): FieldError[] {
  if (!isRecord(annotations)) return [];
  const errors: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    errors.push(...checkQualifiedName(key.toLowerCase(), field));
    size += key.length + String(value).length;
  }
  if (size > 256 * 1024) errors.push({ type: "FieldValueTooLong", field, detail: "may not be more than 262144 bytes" });
  return errors;
}

export function checkEnvVarName(name: unknown, field: string): FieldError[] {
  if (typeof name !== "string" || name === "") return [{ type: "FieldValueRequired", field }];
  if (envVarNameRe.test(name)) return [];
  return [
    {
      type: "FieldValueInvalid",
      field,
      badValue: name,
      detail:
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    },
  ];
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && dns1123SubdomainRe.test(value);
}

const suffixes: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a resource quantity (`512Mi` → 536870912, `250m` → 0.25), or undefined when malformed. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === "number") return q;
  if (typeof q !== "string") return undefined;
  const m = /^([+-]?[0-9.]+)([eE][-+]?[0-9]+|[a-zA-Z]*)$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (Number.isNaN(n)) return undefined;
  const suffix = m[2]!;
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  const factor = suffixes[suffix];
  return factor === undefined ? undefined : n * factor;
}
