/**
 * Names and labels of the Kubernetes objects Sluice creates. The flow-run id label is the stable key that
 * ties every resource of a run together: Jobs are named from the run id so that creating
 * the same run's Job twice is idempotent, and the agent finds what it manages by these labels.
 */
import { createHash, randomBytes } from "node:crypto";
import { SluiceError, showValue } from "../../core/errors.js";

/** Every Job and pod Sluice creates carries the run's id and its launch's identifier (labels.ts, shared by every platform). */
export { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../deployment/contract.js";
/** Label naming what created a Job ("agent", "kubernetes-job-environment", ...). */
export const CREATED_BY_LABEL = "sluice.io/created-by";

/** Longest Job name: the Job controller copies it into the pods' `job-name` label, a 63-character label value. */
export const MAX_JOB_NAME = 63;
/** Length of the random suffix `uniqueJobName` appends, including its "-". */
export const UNIQUE_SUFFIX_LENGTH = 9;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `name` is not a valid Job name (a DNS-1123 label of at most `max` characters), or undefined. */
export function jobNameProblem(name: string, max = MAX_JOB_NAME): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > max) return `it is ${name.length} characters long; the limit is ${max}`;
  if (!DNS_LABEL.test(name)) return 'use lowercase letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

/** Why `value` is not a valid label value (at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends), or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `it is ${value.length} characters long; the limit is 63`;
  if (!LABEL_VALUE.test(value)) return 'use letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

/** Checks that a flow-run id can be a label value (it labels every Job and pod of the run). */
export function checkFlowRunId(flowRunId: unknown): string {
  if (typeof flowRunId !== "string" || flowRunId === "") {
    throw new SluiceError("INVALID_INPUT", `flowRunId is ${showValue(flowRunId)}; a Kubernetes launch needs the id of the flow run it executes`, {
      field: "flowRunId",
      value: flowRunId,
      kind: "kubernetes",
    });
  }
  const problem = labelValueProblem(flowRunId);
  if (problem) {
    throw new SluiceError("INVALID_INPUT", `flowRunId ${showValue(flowRunId)} cannot be a Kubernetes label value: ${problem}`, {
      field: "flowRunId",
      value: flowRunId,
      kind: "kubernetes",
    });
  }
  return flowRunId;
}

/** Lowercase DNS-label slug of any text, at most `max` characters, never ending in "-". */
export function dnsSlug(text: string, max = MAX_JOB_NAME): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, max)
    .replace(/-+$/, "");
}

/**
 * `<prefix>-<run id>`, within `max` characters: the same run always gets the same name, and different
 * runs different names (the run id is never cut; a long or non-DNS run id becomes a slug plus a hash).
 */
export function jobNameForRun(prefix: string, flowRunId: string, max = MAX_JOB_NAME): string {
  const slug = dnsSlug(flowRunId, max);
  const lossless = slug === flowRunId.toLowerCase() && flowRunId === flowRunId.toLowerCase() && slug.length <= 40;
  const id = lossless ? slug : `${dnsSlug(flowRunId, 23) || "run"}-${createHash("sha256").update(flowRunId).digest("hex").slice(0, 16)}`;
  const head = dnsSlug(prefix, max - id.length - 1) || "sluice";
  return `${head}-${id}`.slice(0, max);
}

/** Eight random characters from [a-z0-9], for `uniqueJobName`. */
export function randomSuffix(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join("");
}

/** `name-<suffix>`, the name cut so that the whole stays within the Job name limit. */
export function withSuffix(name: string, suffix: string): string {
  const keep = MAX_JOB_NAME - suffix.length - 1;
  const base = name.slice(0, keep).replace(/[-.]+$/, "");
  return `${base}-${suffix}`;
}
