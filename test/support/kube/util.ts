/**
 * Small helpers shared by the Kubernetes stand-in: object shape, timestamps, generated names.
 */
import { randomUUID, randomBytes } from "node:crypto";

/** The metadata fields the stand-in reads or writes; the rest passes through untouched. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object as JSON. Sub-objects are typed loosely on purpose: the schema validates them. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

/** A deep copy of plain JSON data. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** An RFC 3339 timestamp with second precision, as the API server writes `metav1.Time`. */
export function timestamp(at: Date | number = Date.now()): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * An RFC 3339 timestamp with microseconds, as the API server writes `metav1.MicroTime`. Without `at`, the
 * current time to the microsecond (from the high-resolution clock).
 */
export function microTimestamp(at?: Date | number): string {
  // Milliseconds from the wall clock (as every other timestamp), the microseconds from the monotonic one.
  const ms = at === undefined ? Date.now() : Math.floor(Number(at));
  const micros = at === undefined ? Math.floor((performance.now() % 1) * 1000) : 0;
  return new Date(ms).toISOString().replace(/Z$/, `${String(micros).padStart(3, "0")}Z`);
}

export function newUid(): string {
  return randomUUID();
}

// The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alike characters).
const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/** `length` random characters from the alphabet of Kubernetes generated names. */
export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += suffixAlphabet[b % suffixAlphabet.length];
  return out;
}

/** Name from `metadata.generateName` as the API server builds it: base cut to 58 chars + 5 random chars. */
export function generateName(base: string): string {
  return base.slice(0, 58) + randomSuffix(5);
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
