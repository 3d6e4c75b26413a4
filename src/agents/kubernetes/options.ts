/**
 * The Kubernetes agent's options, compiled once from the configuration (the CLI's flags are config
 * overrides): namespace, pod service account and pull secrets, the Job template (read and validated at
 * start), whether finished Jobs are deleted, and the Secret that holds the API key.
 */
import type { SluiceConfig } from "../../config/schema.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { loadJobSpec } from "../../environments/kubernetes/job-spec.js";
import type { KubernetesConnectionOptions } from "../../environments/kubernetes/kubernetes-api.js";
import type { JobManifest } from "../../environments/kubernetes/manifest-types.js";
import { jobNameProblem } from "../../environments/kubernetes/names.js";
import { checkSecretKeyRef, type SecretKeyRef } from "../../environments/kubernetes/run-env.js";

/** The Secret name the agent references for the API key when the configuration names none. */
export const DEFAULT_API_KEY_SECRET = "sluice-api-key";

export interface KubernetesAgentOptions {
  /** Where Jobs are created and managed. */
  namespace: string;
  /** How to reach the Kubernetes API. */
  connection: KubernetesConnectionOptions;
  serviceAccountName: string | undefined;
  imagePullSecrets: string[];
  /** The validated `--job-template`, if any. */
  template: JobManifest | undefined;
  deleteFinishedJobs: boolean;
  /** Where pods take SLUICE__API__KEY from; undefined when the agent has no API key (server without auth). */
  apiKeySecret: SecretKeyRef | undefined;
  /** How to start Sluice's CLI in the flow's image. */
  sluiceCommand: string[];
  /** Variables every stage A pod gets besides the run contract (reporting pace, ...). */
  env: Record<string, string>;
}

export interface KubernetesAgentExtras {
  /** How to start Sluice's CLI in the flow's image. @default ["sluice"] */
  sluiceCommand?: readonly string[];
  /** Variables every stage A pod gets besides the run contract. @default {} */
  env?: Readonly<Record<string, string>>;
}

export function compileKubernetesAgentOptions(config: SluiceConfig, extras: KubernetesAgentExtras = {}): KubernetesAgentOptions {
  const k = config.kubernetes;
  const problem = jobNameProblem(k.namespace);
  if (problem) {
    throw new SluiceError("INVALID_OPTION", `Kubernetes agent: --namespace ${showValue(k.namespace)} is not a valid namespace: ${problem}`, { field: "kubernetes.namespace", value: k.namespace });
  }
  for (const name of k.imagePullSecrets) checkSecretKeyRef({ name, key: "x" }, "--image-pull-secrets");
  if (k.serviceAccountName !== undefined && jobNameProblem(k.serviceAccountName, 253)) {
    throw new SluiceError("INVALID_OPTION", `Kubernetes agent: --service-account ${showValue(k.serviceAccountName)} is not a valid service account name`, {
      field: "kubernetes.serviceAccountName",
      value: k.serviceAccountName,
    });
  }
  const template = k.jobTemplate === undefined ? undefined : loadJobSpec(k.jobTemplate, { owner: "Kubernetes agent", option: "--job-template" }).spec;
  const secretName = k.apiKeySecretName ?? (config.api.key !== undefined ? DEFAULT_API_KEY_SECRET : undefined);
  return {
    namespace: k.namespace,
    connection: { ...(k.kubeconfig !== undefined ? { kubeconfig: k.kubeconfig } : {}), ...(k.context !== undefined ? { context: k.context } : {}) },
    serviceAccountName: k.serviceAccountName,
    imagePullSecrets: [...k.imagePullSecrets],
    template,
    deleteFinishedJobs: k.deleteFinishedJobs,
    apiKeySecret: secretName === undefined ? undefined : checkSecretKeyRef({ name: secretName, key: k.apiKeySecretKey }, "kubernetes.apiKeySecretName"),
    sluiceCommand: [...(extras.sluiceCommand ?? ["sluice"])],
    env: { ...extras.env },
  };
}
