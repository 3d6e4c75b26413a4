/**
 * The run contract as Kubernetes container variables. The API key never appears in a manifest
 * in plain text when a Kubernetes Secret holds it: it becomes a `secretKeyRef`.
 */
import { SluiceError, showValue } from "../../core/errors.js";
import type { EnvVar } from "./manifest-types.js";

/** The run-contract variable that carries the API key. */
export const API_KEY_VARIABLE = "SLUICE__API__KEY";

/** A key of a Kubernetes Secret. */
export interface SecretKeyRef {
  /** Name of the Secret (in the namespace of the pod). */
  name: string;
  /** Key inside the Secret. */
  key: string;
}

const SECRET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks a Secret reference; errors name `field` (e.g. "--api-key-secret" or "kubernetes.apiKeySecretName"). */
export function checkSecretKeyRef(ref: SecretKeyRef, field: string): SecretKeyRef {
  if (typeof ref.name !== "string" || ref.name.length > 253 || !SECRET_NAME.test(ref.name)) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${field}: Secret name ${showValue(ref.name)} is not a valid Kubernetes name (lowercase letters, digits, "-" and ".")`,
      {
        field,
        value: ref.name,
      },
    );
  }
  if (typeof ref.key !== "string" || ref.key.length > 253 || !SECRET_KEY.test(ref.key)) {
    throw new SluiceError("INVALID_OPTION", `${field}: Secret key ${showValue(ref.key)} is not a valid key (letters, digits, "-", "_" and ".")`, {
      field,
      value: ref.key,
    });
  }
  return ref;
}

/**
 * `env` (name → value, e.g. from `runContractEnv`) as container variables, in order. With `apiKeySecret`,
 * SLUICE__API__KEY is a reference to that Secret key instead of a value (any plain value is dropped).
 */
export function toEnvVars(env: Readonly<Record<string, string>>, apiKeySecret?: SecretKeyRef): EnvVar[] {
  const out: EnvVar[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (name === API_KEY_VARIABLE && apiKeySecret) continue;
    out.push({ name, value });
  }
  if (apiKeySecret) out.push({ name: API_KEY_VARIABLE, valueFrom: { secretKeyRef: { name: apiKeySecret.name, key: apiKeySecret.key } } });
  return out;
}
